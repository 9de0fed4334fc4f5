import { createHash, randomInt } from 'node:crypto';
import { AppError, limitError } from '../errors';
import { LIMITS } from '../limits';
import type { MemberStore, PairingCode, PairingStore, RateLimit, RateLimiter } from '../ports';

/** Crockford-like alphabet: no 0/O or 1/I/L to misread off a screen. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 10; // 31^10 ≈ 2^49.5 codes
export const PAIRING_TTL_MS = 10 * 60_000;
const WINDOW_MS = 10 * 60_000;
/**
 * Wrong codes a user may send per window before being made to wait. Counted per user only:
 * nothing strangers send can stop a user whose own guesses are right. A count per extension or
 * across the deployment would hand strangers that lock-out, and add no safety: a code is one of
 * 31^10 (2^49.5) and lives 10 minutes, so even a million
 * accounts guessing at this rate hit one extension's code with odds of 6 in a billion
 * (docs/security.md, "Pairing").
 */
export const PAIRING_FAILURES = { limit: LIMITS.pairing_attempts.value, windowMs: WINDOW_MS };

/** A fresh one-time code, `XXXXX-XXXXX`. */
export function newPairingCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/** How a code is stored: hashed, ignoring case, spaces and dashes as typed. */
export const hashPairingCode = (code: string) =>
  createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, '')).digest('hex');

/** What the QR code holds. */
export const pairUri = (code: string, tenant: string, extension: string) =>
  `callwake://pair?code=${encodeURIComponent(code)}&tenant=${encodeURIComponent(tenant)}&extension=${encodeURIComponent(extension)}`;

/** The tenant and extension of the pair URI, which the app sends along with the code. */
export interface PairTarget {
  tenant: string;
  extension: string;
}

/** The counter one attempt is reserved against: the user's own. */
export function pairingLimits(uid: string): RateLimit[] {
  return [{ key: `pair:${uid}`, ...PAIRING_FAILURES }];
}

export interface PairingPorts {
  pairing: PairingStore;
  rateLimiter: RateLimiter;
  members: MemberStore;
}

const WHY = { unknown: 'is not valid', expired: 'has expired', used: 'was already used' };

/**
 * Redeems a pairing code: `uid` becomes a member of its extension (redeeming is its consent).
 * The attempt is reserved against the user's counter before the code is even looked up, so
 * parallel guesses cannot get past the limit; a successful attempt is given back afterwards.
 * `release` failing only costs the user one attempt: it is reported, not thrown.
 */
export async function redeemPairingCode(
  ports: PairingPorts,
  uid: string,
  code: string,
  target: PairTarget | undefined,
  now: number,
  report: (err: unknown) => void,
): Promise<PairingCode> {
  const limits = pairingLimits(uid);
  if (!(await ports.rateLimiter.reserve(limits, now))) {
    throw limitError(
      'pairing_attempts',
      429,
      'Too many wrong pairing codes from this account; wait 10 minutes and try again.',
      PAIRING_FAILURES.windowMs / 1000,
    );
  }
  const result = await ports.pairing.redeem(hashPairingCode(code), uid, now, target);
  if (typeof result === 'string') {
    throw new AppError('not_found', `This pairing code ${WHY[result]}; ask for a new one.`);
  }
  await ports.members.add(result.tenant, result.extension, uid, 'pairing');
  await ports.rateLimiter.release(limits, now).catch(report);
  return result;
}
