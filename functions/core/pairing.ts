import { createHash, randomInt } from 'node:crypto';
import { AppError } from './errors';
import type { MemberStore, PairingCode, PairingStore, RateLimit, RateLimiter } from './ports';

/** Crockford-like alphabet: no 0/O or 1/I/L to misread off a screen. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 10; // 31^10 ≈ 2^49.5 codes
export const PAIRING_TTL_MS = 10 * 60_000;
const WINDOW_MS = 10 * 60_000;
/** Wrong codes a user may try per window before being made to wait. */
export const PAIRING_FAILURES = { limit: 5, windowMs: WINDOW_MS };
/** Wrong codes naming one extension (from any number of users) per window. */
export const PAIRING_EXTENSION_FAILURES = { limit: 20, windowMs: WINDOW_MS };
/**
 * Wrong codes that name no extension (the older body, `code` alone), across
 * the deployment per window: such a guess could hit any extension's code, so
 * it cannot be counted against one.
 */
export const PAIRING_UNSCOPED_FAILURES = { limit: 100, windowMs: WINDOW_MS };

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

/** The counters one attempt is reserved against: the user's, and the extension's (or the unscoped one). */
export function pairingLimits(uid: string, target?: PairTarget): RateLimit[] {
  return [
    { key: `pair:${uid}`, ...PAIRING_FAILURES },
    target
      ? { key: `pair-ext:${target.tenant}:${target.extension}`, ...PAIRING_EXTENSION_FAILURES }
      : { key: 'pair-unscoped', ...PAIRING_UNSCOPED_FAILURES },
  ];
}

export interface PairingPorts {
  pairing: PairingStore;
  rateLimiter: RateLimiter;
  members: MemberStore;
}

const WHY = { unknown: 'is not valid', expired: 'has expired', used: 'was already used' };

/**
 * Redeems a pairing code: `uid` becomes a member of its extension. The attempt
 * is reserved against every counter before the code is even looked up (one
 * transaction), so parallel guesses cannot get past a limit; a successful
 * attempt is given back afterwards. `release` failing only costs the user one
 * attempt: it is reported, not thrown.
 */
export async function redeemPairingCode(
  ports: PairingPorts,
  uid: string,
  code: string,
  target: PairTarget | undefined,
  now: number,
  report: (err: unknown) => void,
): Promise<PairingCode> {
  const limits = pairingLimits(uid, target);
  if (!(await ports.rateLimiter.reserve(limits, now))) {
    throw new AppError(
      'rate_limited',
      'Too many wrong pairing codes; wait 10 minutes and try again.',
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
