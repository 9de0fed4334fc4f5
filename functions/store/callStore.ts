import type { DocumentReference, Firestore, Transaction } from 'firebase-admin/firestore';
import { applyAnswer, type Answer, type CallPatch } from '../core/call/callState';
import { systemClock, type Clock } from '../core/clock';
import { countersOf, observe, type Observation } from '../core/metrics/counters';
import type { Call } from '../core/model';
import { applyPatch } from '../core/call/patch';
import type { AnswerDoor, CallStore } from '../core/ports';
import { parseAnswerDoc, type AnswerRead } from './answerDoc';
import { createIfAbsent, firestoreModule, paths } from './firestore';
import { closeSoon } from './listeners';
import { addCounters } from './metricsStore';

const DAY_MS = 86_400_000;
/** gRPC ALREADY_EXISTS: a batch's create() found the document there. */
const ALREADY_EXISTS = 6;

/** Told what each committed call write changed in the metrics (the functions log it). */
export type CallObserver = (call: Call, observations: readonly Observation[]) => void;

/** Calls under tenants/{tenant}/calls/{callUuid}; the UUID is derived from the PBX's call id. */
export class FirestoreCallStore implements CallStore {
  constructor(
    private readonly db: Firestore,
    /** Days a call is kept: its `purgeAt` drives the TTL policy. */
    private readonly retentionDays: () => number,
    /** The server's time: an answer's deadline is judged by it, and waitFor times out on it. */
    private readonly clock: Clock = systemClock,
    private readonly observer: CallObserver = () => undefined,
  ) {}

  /**
   * Adds what the write from `before` to `after` changed in the metrics to a counter shard,
   * in the same transaction: counted once, whatever retries the transaction or redelivers the
   * event. Returns the observations, for the observer once the transaction has committed.
   */
  private async count(
    tx: Transaction,
    before: Call | null,
    after: Call,
  ): Promise<readonly Observation[]> {
    const observations = observe(before, after);
    const counters = countersOf(observations);
    if (Object.keys(counters).length > 0) await addCounters(this.db, tx, after.tenant, counters);
    return observations;
  }

  private report(call: Call, observations: readonly Observation[]): void {
    if (observations.length === 0) return;
    try {
      this.observer(call, observations);
    } catch {
      // Logging never fails a call's write.
    }
  }

  private ref(tenant: string, callUuid: string) {
    return this.db.collection(paths.calls(tenant)).doc(callUuid);
  }

  async createOnce(call: Call): Promise<{ call: Call; created: boolean }> {
    const ref = this.ref(call.tenant, call.callUuid);
    const { Timestamp } = await firestoreModule();
    const purgeAt = Timestamp.fromMillis(call.createdAt + this.retentionDays() * DAY_MS);
    // One winner among concurrent duplicates; the others return the winner's call.
    if (await this.createCounted(ref, call, { ...call, purgeAt })) return { call, created: true };
    const snap = await ref.get();
    return { call: snap.data() as Call, created: false };
  }

  /**
   * A ringing call changes no metric when created (its pushes are pending): a plain create. A
   * call created already over (no devices) counts its outcome in the same atomic batch.
   */
  private async createCounted(
    ref: DocumentReference,
    call: Call,
    data: Record<string, unknown>,
  ): Promise<boolean> {
    const observations = observe(null, call);
    if (observations.length === 0) return createIfAbsent(ref, data);
    const batch = this.db.batch();
    batch.create(ref, data);
    await addCounters(this.db, batch, call.tenant, countersOf(observations));
    try {
      await batch.commit();
    } catch (err) {
      if ((err as { code?: unknown }).code === ALREADY_EXISTS) return false;
      throw err;
    }
    this.report(call, observations);
    return true;
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
    const result = await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return null;
      const call = snap.data() as Call;
      const patch = change(call);
      if (!patch) return { call, patch, observed: [] };
      const after = applyPatch(call, patch);
      const observed = await this.count(tx, call, after);
      tx.set(ref, patch, { merge: true });
      return { call, patch, observed, after };
    });
    if (!result) return null;
    if (result.after) this.report(result.after, result.observed);
    return { call: result.call, patch: result.patch };
  }

  async settleAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    now: number,
  ): Promise<'won' | 'late' | 'no_call'> {
    const ref = this.ref(tenant, callUuid);
    const answerRef = ref.collection('answers').doc(answer.deviceId);
    const result = await this.db.runTransaction(async (tx) => {
      const [snap, answerSnap] = await Promise.all([tx.get(ref), tx.get(answerRef)]);
      // Settled already (a trigger redelivered, or the HTTP route got there first): report it.
      const settled = answerSnap.get('outcome') as 'won' | 'late' | undefined;
      if (settled) return { outcome: settled };
      if (!snap.exists) return { outcome: 'no_call' as const };
      // A transaction may be retried for a while: judge the deadline as of the commit.
      const at = Math.max(now, this.clock.now());
      const call = snap.data() as Call;
      const { outcome, patch } = applyAnswer(call, answer, at);
      const after = applyPatch(call, patch);
      const observed = await this.count(tx, call, after);
      tx.set(ref, patch, { merge: true });
      tx.set(answerRef, { outcome }, { merge: true });
      return { outcome, after, observed };
    });
    if (result.after) this.report(result.after, result.observed);
    return result.outcome;
  }

  async createAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    door: AnswerDoor,
  ): Promise<boolean> {
    const ref = this.ref(tenant, callUuid).collection('answers').doc(answer.deviceId);
    const { action, deviceId, uid } = answer;
    const { FieldValue } = await firestoreModule();
    return createIfAbsent(ref, {
      action,
      deviceId,
      uid,
      answeredAt: FieldValue.serverTimestamp(),
      ...(door === 'api' ? { door } : {}),
    });
  }

  async getAnswer(tenant: string, callUuid: string, deviceId: string): Promise<AnswerRead | null> {
    const snap = await this.ref(tenant, callUuid).collection('answers').doc(deviceId).get();
    return snap.exists ? parseAnswerDoc(snap.data(), deviceId) : null;
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
        closeSoon(unsubscribe);
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

  watchAnswers(
    tenant: string,
    callUuid: string,
    onAnswer: (answer: Answer, createdAt: number) => void,
  ): () => void {
    // Each snapshot lists only what changed since the last (the first: every document there).
    // A listener error ends it quietly: each answer's trigger settles it anyway.
    let stopped = false;
    const unsubscribe = this.ref(tenant, callUuid)
      .collection('answers')
      .onSnapshot(
        (snap) => {
          if (stopped) return;
          for (const change of snap.docChanges()) {
            if (change.type === 'removed') continue;
            const read = parseAnswerDoc(change.doc.data(), change.doc.id);
            if (read && !read.outcome && read.door !== 'api') {
              onAnswer(read.answer, change.doc.createTime.toMillis());
            }
          }
        },
        () => undefined,
      );
    return () => {
      stopped = true;
      closeSoon(unsubscribe);
    };
  }
}
