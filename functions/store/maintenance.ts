import type { Firestore } from 'firebase-admin/firestore';
import type { Call } from '../core/model';

export interface CallRef {
  tenant: string;
  callUuid: string;
}

const BATCH = 300;

/** Collection-group sweeps for the scheduled jobs, across every tenant. */
export class Maintenance {
  constructor(private readonly db: Firestore) {}

  /** Calls still ringing after their ring time (index: calls status + expiresAt). */
  async ringingPastDeadline(now: number, limit = BATCH): Promise<CallRef[]> {
    const snap = await this.db
      .collectionGroup('calls')
      .where('status', '==', 'ringing')
      .where('expiresAt', '<=', now)
      .limit(limit)
      .get();
    return snap.docs.map((doc) => ({ tenant: doc.get('tenant') as string, callUuid: doc.id }));
  }

  /** Calls still ringing before their deadline (same index), for the sweeper. */
  async ringingCalls(now: number, limit = BATCH): Promise<Call[]> {
    const snap = await this.db
      .collectionGroup('calls')
      .where('status', '==', 'ringing')
      .where('expiresAt', '>', now)
      .limit(limit)
      .get();
    return snap.docs.map((doc) => doc.data() as Call);
  }

  /** Calls whose cancel job is pending or being sent (index: cancel.state, collection group). */
  async openCancelJobs(limit = BATCH): Promise<Call[]> {
    const snap = await this.db
      .collectionGroup('calls')
      .where('cancel.state', 'in', ['pending', 'sending'])
      .limit(limit)
      .get();
    return snap.docs.map((doc) => doc.data() as Call);
  }

  /** Deletes devices not refreshed since `cutoff`; returns how many. */
  async deleteStaleDevices(cutoff: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const snap = await this.db
        .collectionGroup('devices')
        .where('lastSeenAt', '<', cutoff)
        .limit(BATCH)
        .get();
      if (snap.empty) return deleted;
      const batch = this.db.batch();
      for (const doc of snap.docs) batch.delete(doc.ref);
      await batch.commit();
      deleted += snap.size;
    }
  }

  /** Deletes calls created before `cutoff`, with their answers and receipts; returns how many. */
  async deleteOldCalls(cutoff: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const snap = await this.db
        .collectionGroup('calls')
        .where('createdAt', '<', cutoff)
        .limit(BATCH)
        .get();
      if (snap.empty) return deleted;
      await Promise.all(snap.docs.map((doc) => this.db.recursiveDelete(doc.ref)));
      deleted += snap.size;
    }
  }
}
