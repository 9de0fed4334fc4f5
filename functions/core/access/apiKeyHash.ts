import { createHash, timingSafeEqual } from 'node:crypto';

/** An API key (or scrape key, or ID token) as stored and cached: its SHA-256, never the key. */
export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  // Comparing digests keeps the time independent of where, or whether, lengths differ.
  return timingSafeEqual(Buffer.from(hashApiKey(a), 'hex'), Buffer.from(hashApiKey(b), 'hex'));
}
