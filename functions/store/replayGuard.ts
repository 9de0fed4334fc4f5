import type { Firestore } from 'firebase-admin/firestore';
import type { ReplayGuard } from '../core/ports';
import { ExpiringLru } from './expiringLru';
import { createIfAbsent, firestoreModule, paths } from './firestore';

/**
 * Single use of signed requests, across instances: the first request to claim a signature
 * creates signedRequests/{id}; a replay finds it there (create() fails atomically, so among
 * concurrent copies exactly one wins). Claims also stay in this instance's memory, so a replay
 * to the same instance costs no database call. Documents expire by TTL (`purgeAt`).
 */
export class FirestoreReplayGuard implements ReplayGuard {
  private readonly seen = new ExpiringLru<true>(10_000);

  constructor(private readonly db: Firestore) {}

  async claim(id: string, until: number): Promise<boolean> {
    const now = Date.now();
    if (this.seen.get(id, now)) return false;
    this.seen.set(id, true, until);
    const { Timestamp } = await firestoreModule();
    const ref = this.db.collection(paths.signedRequests).doc(id);
    return createIfAbsent(ref, { purgeAt: Timestamp.fromMillis(until) });
  }
}
