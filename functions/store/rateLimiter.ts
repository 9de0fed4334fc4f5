import type { Firestore } from 'firebase-admin/firestore';
import type { RateLimiter } from '../core/ports';
import { paths } from './firestore';

interface WindowDoc {
  count: number;
  windowStart: number;
  windowMs: number;
}

/** Fixed-window counters in rateLimits/{key}, shared by every instance. */
export class FirestoreRateLimiter implements RateLimiter {
  constructor(private readonly db: Firestore) {}

  private ref(key: string) {
    return this.db.collection(paths.rateLimits).doc(key);
  }

  async allow(key: string, limit: number, windowMs: number, now: number): Promise<boolean> {
    const ref = this.ref(key);
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(ref)).data() as WindowDoc | undefined;
      const fresh = !doc || now - doc.windowStart >= doc.windowMs;
      const count = fresh ? 1 : doc.count + 1;
      tx.set(ref, { count, windowStart: fresh ? now : doc.windowStart, windowMs });
      return count <= limit;
    });
  }

  async exceeded(key: string, limit: number, now: number): Promise<boolean> {
    const doc = (await this.ref(key).get()).data() as WindowDoc | undefined;
    return !!doc && now - doc.windowStart < doc.windowMs && doc.count >= limit;
  }
}
