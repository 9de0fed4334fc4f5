import type { Firestore } from 'firebase-admin/firestore';
import type { RateLimit, RateLimiter } from '../core/ports';
import { windowAt, windowKey, withinLimit } from '../core/access/rateWindow';
import { firestoreModule, paths } from './firestore';

/**
 * Fixed-window counters in rateLimits/{key}@{window}, shared by every instance. An attempt is an
 * atomic increment followed by a read, not a transaction: increments do not lock or abort each
 * other, so a burst on one counter gets its answers (or 429s) instead of queueing on a lock until
 * a deadline (503). Each window's document expires by TTL (`purgeAt`).
 */
export class FirestoreRateLimiter implements RateLimiter {
  constructor(private readonly db: Firestore) {}

  private ref(limit: RateLimit, now: number) {
    return this.db.collection(paths.rateLimits).doc(windowKey(limit.key, now, limit.windowMs));
  }

  async reserve(limits: readonly RateLimit[], now: number): Promise<boolean> {
    const { FieldValue, Timestamp } = await firestoreModule();
    const counts = await Promise.all(
      limits.map(async (limit) => {
        const ref = this.ref(limit, now);
        const purgeAt = Timestamp.fromMillis(windowAt(now, limit.windowMs).endsAt);
        await ref.set({ count: FieldValue.increment(1), purgeAt }, { merge: true });
        return ((await ref.get()).get('count') as number | undefined) ?? 0;
      }),
    );
    // A refused attempt stays counted: it was an attempt, and the window ends all the same.
    return counts.every((count, i) => withinLimit(count, limits[i]?.limit ?? 0));
  }

  async release(limits: readonly RateLimit[], now: number): Promise<void> {
    const { FieldValue } = await firestoreModule();
    await Promise.all(
      limits.map((limit) =>
        this.ref(limit, now).set({ count: FieldValue.increment(-1) }, { merge: true }),
      ),
    );
  }
}
