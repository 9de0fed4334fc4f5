import type { Firestore } from 'firebase-admin/firestore';
import type { DeliveryResult } from '../core/deliver';
import type { Call } from '../core/model';
import type { CallStore } from '../core/ports';
import { paths } from './firestore';

const ALREADY_EXISTS = 6;

/** Calls under tenants/{tenant}/calls/{callUuid}; the UUID is derived from the PBX's call id. */
export class FirestoreCallStore implements CallStore {
  constructor(private readonly db: Firestore) {}

  private ref(tenant: string, callUuid: string) {
    return this.db.collection(paths.calls(tenant)).doc(callUuid);
  }

  async createOnce(call: Call): Promise<{ call: Call; created: boolean }> {
    const ref = this.ref(call.tenant, call.callUuid);
    try {
      // create() fails atomically when the document exists: one winner among concurrent duplicates.
      await ref.create(call);
      return { call, created: true };
    } catch (err) {
      if ((err as { code?: unknown }).code !== ALREADY_EXISTS) throw err;
      const snap = await ref.get();
      return { call: snap.data() as Call, created: false };
    }
  }

  async get(tenant: string, callUuid: string): Promise<Call | null> {
    const snap = await this.ref(tenant, callUuid).get();
    return snap.exists ? (snap.data() as Call) : null;
  }

  async recordDeliveries(
    tenant: string,
    callUuid: string,
    results: Record<string, DeliveryResult>,
    pushed: number,
  ): Promise<void> {
    // A merge keeps device ids with dots intact (update() would read them as field paths).
    await this.ref(tenant, callUuid).set({ deliveries: results, pushed }, { merge: true });
  }
}
