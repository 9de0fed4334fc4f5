import type { Firestore } from 'firebase-admin/firestore';
import type { CallCounts } from '../core/ports';
import { paths } from './firestore';

/**
 * The tenant-wide call limits' counts, as count aggregations over the tenant's calls: a read
 * each (one per 1,000 index entries), no write, no document every call touches.
 */
export class FirestoreCallCounts implements CallCounts {
  constructor(private readonly db: Firestore) {}

  async createdSince(tenant: string, since: number): Promise<number> {
    const query = this.db.collection(paths.calls(tenant)).where('createdAt', '>=', since);
    return (await query.count().get()).data().count;
  }

  async ringing(tenant: string, now: number): Promise<number> {
    const query = this.db
      .collection(paths.calls(tenant))
      .where('status', '==', 'ringing')
      .where('expiresAt', '>', now);
    return (await query.count().get()).data().count;
  }
}
