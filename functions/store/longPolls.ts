import { randomBytes } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import type { LongPolls } from '../core/ports';
import { firestoreModule, paths } from './firestore';

/**
 * Long-polls held open, one document each under tenants/{tenant}/longPolls, counted across
 * every instance: those whose `until` has not passed. A long-poll deletes its document when it
 * answers; one whose instance died stops counting at `until` (and its document expires by TTL).
 * The count and the create are not one transaction: requests arriving within one round trip of
 * each other may pass the limit together.
 */
export class FirestoreLongPolls implements LongPolls {
  constructor(private readonly db: Firestore) {}

  async hold(
    tenant: string,
    limit: number,
    now: number,
    maxMs: number,
  ): Promise<(() => Promise<void>) | null> {
    const col = this.db.collection(paths.longPolls(tenant));
    const held = (await col.where('until', '>', now).count().get()).data().count;
    if (held >= limit) return null;
    const { Timestamp } = await firestoreModule();
    const until = now + maxMs;
    const ref = col.doc(randomBytes(12).toString('hex'));
    await ref.create({ startedAt: now, until, purgeAt: Timestamp.fromMillis(until + 60_000) });
    return async () => {
      await ref.delete();
    };
  }
}
