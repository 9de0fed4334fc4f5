import { createHash, randomInt } from 'node:crypto';

/** Crockford-like alphabet: no 0/O or 1/I/L to misread off a screen. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 10; // 31^10 ≈ 2^49.5 codes
export const PAIRING_TTL_MS = 10 * 60_000;
/** Wrong codes a user may try per window before being made to wait. */
export const PAIRING_FAILURES = { limit: 5, windowMs: 10 * 60_000 };

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
