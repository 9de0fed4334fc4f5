import type { Firestore } from 'firebase-admin/firestore';
import type { RateLimit, RateLimiter } from '../core/ports';
import { releaseAll, reserveAll, type RateWindow } from '../core/rateWindow';
import { paths } from './firestore';

/** Fixed-window counters in rateLimits/{key}, shared by every instance. */
export class FirestoreRateLimiter implements RateLimiter {
  constructor(private readonly db: Firestore) {}

  private refs(limits: readonly RateLimit[]) {
    return limits.map((limit) => this.db.collection(paths.rateLimits).doc(limit.key));
  }

  async reserve(limits: readonly RateLimit[], now: number): Promise<boolean> {
    const refs = this.refs(limits);
    if (refs.length === 0) return true;
    // One transaction over every counter: concurrent reservations of the same key serialize,
    // so no more than `limit` get through however many arrive at once.
    return this.db.runTransaction(async (tx) => {
      const snaps = await tx.getAll(...refs);
      const next = reserveAll(
        snaps.map((snap) => snap.data() as RateWindow | undefined),
        limits,
        now,
      );
      if (!next) return false;
      refs.forEach((ref, i) => {
        const window = next[i];
        if (window) tx.set(ref, window);
      });
      return true;
    });
  }

  async release(limits: readonly RateLimit[], now: number): Promise<void> {
    const refs = this.refs(limits);
    if (refs.length === 0) return;
    await this.db.runTransaction(async (tx) => {
      const snaps = await tx.getAll(...refs);
      const next = releaseAll(
        snaps.map((snap) => snap.data() as RateWindow | undefined),
        now,
      );
      refs.forEach((ref, i) => {
        const window = next[i];
        if (window) tx.set(ref, window);
      });
    });
  }
}
