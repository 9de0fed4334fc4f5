import { randomBytes } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import type { HeldLongPoll, LongPolls } from '../core/ports';
import { firestoreModule, paths } from './firestore';

/**
 * Long-polls held open, one document each under tenants/{tenant}/longPolls, counted across
 * every instance: those whose `until` has not passed. Each names its call, so that the answer
 * trigger can tell a long-poll watches that call's answers. A long-poll deletes its document
 * when it answers; one whose instance died stops counting at `until` (and its document expires
 * by TTL).
 * The count and the create are not one transaction: requests arriving within one round trip of
 * each other may pass the limit together.
 */
export class FirestoreLongPolls implements LongPolls {
  constructor(private readonly db: Firestore) {}

  async hold(
    tenant: string,
    callUuid: string,
    limit: number,
    now: number,
    maxMs: number,
  ): Promise<HeldLongPoll | null> {
    const col = this.db.collection(paths.longPolls(tenant));
    const held = (await col.where('until', '>', now).count().get()).data().count;
    if (held >= limit) return null;
    const { Timestamp } = await firestoreModule();
    const until = now + maxMs;
    const ref = col.doc(randomBytes(12).toString('hex'));
    const { writeTime } = await ref.create({
      callUuid,
      startedAt: now,
      until,
      purgeAt: Timestamp.fromMillis(until + 60_000),
    });
    // A create's writeTime is the document's createTime, which `watching` reads.
    return {
      heldAt: writeTime.toMillis(),
      end: async () => {
        await ref.delete();
      },
    };
  }

  async watching(
    tenant: string,
    callUuid: string,
    until: number,
    heldBefore?: number,
  ): Promise<boolean> {
    // One equality filter, served by the automatic single-field index (with a range on `until`
    // it would need a composite one); a call has a handful of long-polls at most.
    const snap = await this.db
      .collection(paths.longPolls(tenant))
      .where('callUuid', '==', callUuid)
      .select('until')
      .get();
    // A document's createTime is its create's commit time: the database's clock, as is the
    // answer's, so the two compare whatever the instances' clocks say.
    return snap.docs.some(
      (doc) =>
        (doc.get('until') as number) > until &&
        (heldBefore === undefined || doc.createTime.toMillis() < heldBefore),
    );
  }
}
