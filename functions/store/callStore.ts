import type { Firestore } from 'firebase-admin/firestore';
import { applyAnswer, type Answer, type CallPatch } from '../core/callState';
import { systemClock, type Clock } from '../core/clock';
import type { Call } from '../core/model';
import type { CallStore } from '../core/ports';
import { createIfAbsent, firestoreModule, paths } from './firestore';

const DAY_MS = 86_400_000;

/** Calls under tenants/{tenant}/calls/{callUuid}; the UUID is derived from the PBX's call id. */
export class FirestoreCallStore implements CallStore {
  constructor(
    private readonly db: Firestore,
    /** Days a call is kept: its `purgeAt` drives the TTL policy. */
    private readonly retentionDays: () => number,
    /** The server's time: an answer's deadline is judged by it, and waitFor times out on it. */
    private readonly clock: Clock = systemClock,
  ) {}

  private ref(tenant: string, callUuid: string) {
    return this.db.collection(paths.calls(tenant)).doc(callUuid);
  }

  async createOnce(call: Call): Promise<{ call: Call; created: boolean }> {
    const ref = this.ref(call.tenant, call.callUuid);
    const { Timestamp } = await firestoreModule();
    const purgeAt = Timestamp.fromMillis(call.createdAt + this.retentionDays() * DAY_MS);
    // One winner among concurrent duplicates; the others return the winner's call.
    if (await createIfAbsent(ref, { ...call, purgeAt })) return { call, created: true };
    const snap = await ref.get();
    return { call: snap.data() as Call, created: false };
  }

  async get(tenant: string, callUuid: string): Promise<Call | null> {
    const snap = await this.ref(tenant, callUuid).get();
    return snap.exists ? (snap.data() as Call) : null;
  }

  async transition(
    tenant: string,
    callUuid: string,
    change: (call: Call) => CallPatch | null,
  ): Promise<{ call: Call; patch: CallPatch | null } | null> {
    const ref = this.ref(tenant, callUuid);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return null;
      const call = snap.data() as Call;
      const patch = change(call);
      if (patch) tx.set(ref, patch, { merge: true });
      return { call, patch };
    });
  }

  async settleAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    now: number,
  ): Promise<'won' | 'late' | 'no_call'> {
    const ref = this.ref(tenant, callUuid);
    const answerRef = ref.collection('answers').doc(answer.deviceId);
    return this.db.runTransaction(async (tx) => {
      const [snap, answerSnap] = await Promise.all([tx.get(ref), tx.get(answerRef)]);
      // Settled already (a trigger redelivered, or the HTTP route got there first): report it.
      const settled = answerSnap.get('outcome') as 'won' | 'late' | undefined;
      if (settled) return settled;
      if (!snap.exists) return 'no_call';
      // A transaction may be retried for a while: judge the deadline as of the commit.
      const at = Math.max(now, this.clock.now());
      const { outcome, patch } = applyAnswer(snap.data() as Call, answer, at);
      tx.set(ref, patch, { merge: true });
      tx.set(answerRef, { outcome }, { merge: true });
      return outcome;
    });
  }

  async createAnswer(tenant: string, callUuid: string, answer: Answer): Promise<boolean> {
    const ref = this.ref(tenant, callUuid).collection('answers').doc(answer.deviceId);
    const { action, deviceId, uid } = answer;
    const { FieldValue } = await firestoreModule();
    return createIfAbsent(ref, { action, deviceId, uid, answeredAt: FieldValue.serverTimestamp() });
  }

  async createReceipt(
    tenant: string,
    callUuid: string,
    deviceId: string,
    uid: string,
  ): Promise<boolean> {
    const ref = this.ref(tenant, callUuid).collection('receipts').doc(deviceId);
    const { FieldValue } = await firestoreModule();
    return createIfAbsent(ref, { deviceId, uid, receivedAt: FieldValue.serverTimestamp() });
  }

  waitFor(
    tenant: string,
    callUuid: string,
    done: (call: Call) => boolean,
    timeoutMs: number,
  ): Promise<Call | null> {
    return new Promise((resolve, reject) => {
      let last: Call | null = null;
      let settled = false;
      const stop = new AbortController();
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        stop.abort();
        unsubscribe();
        if (err) reject(err instanceof Error ? err : new Error('listener failed'));
        else resolve(last);
      };
      const unsubscribe = this.ref(tenant, callUuid).onSnapshot((snap) => {
        last = snap.exists ? (snap.data() as Call) : null;
        if (last && done(last)) finish();
      }, finish);
      void this.clock.sleep(timeoutMs, stop.signal).then(() => {
        finish();
      });
    });
  }
}
