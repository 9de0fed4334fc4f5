import { applyAnswer, type Answer, type CallPatch } from '../../functions/core/call/callState';
import { systemClock, type Clock } from '../../functions/core/clock';
import type { Call } from '../../functions/core/model';
import { mergeDeep } from '../../functions/core/call/patch';
import type { AnswerDoor, CallStore, StoredAnswer } from '../../functions/core/ports';

/** A write the in-memory store made, as a Firestore trigger would see it. */
export type StoreWrite =
  | { kind: 'call'; tenant: string; callUuid: string; after: Call }
  | { kind: 'answer'; tenant: string; callUuid: string; deviceId: string; answer: AnswerDoc }
  | { kind: 'receipt'; tenant: string; callUuid: string; deviceId: string; receivedAt: number };

/** An answer document: what the app wrote, plus the outcome the server adds. */
export interface AnswerDoc {
  action: Answer['action'];
  deviceId: string;
  uid: string;
  answeredAt: number;
  /** Its creation, by the store's clock (Firestore's createTime). */
  createdAt: number;
  outcome?: 'won' | 'late';
  /** Stored by the answer route, which settles it itself. */
  door?: 'api';
}

interface AnswerWatcher {
  callUuid: string;
  onAnswer: (answer: Answer, createdAt: number) => void;
}

interface Watcher {
  key: string;
  done: (call: Call) => boolean;
  last: Call | null;
  finish: () => void;
}

/**
 * Calls in memory, held to the same contract as FirestoreCallStore
 * (test/contract/callStore.contract.ts): `createOnce` is first-writer-wins,
 * `transition` applies the core's patch with Firestore's merge semantics, and
 * `waitFor` is a listener on the clock. `onWrite` sees every write, as
 * triggers do.
 */
export class FakeCallStore implements CallStore {
  /** Every call created, as created. */
  readonly created: Call[] = [];
  readonly answers = new Map<string, AnswerDoc>();
  readonly receipts = new Map<string, { deviceId: string; uid: string; receivedAt: number }>();
  /** Every answer settled, when and how (the simulation checks none wins after the deadline). */
  readonly settlements: {
    callUuid: string;
    deviceId: string;
    outcome: 'won' | 'late';
    at: number;
  }[] = [];
  onWrite: ((write: StoreWrite) => void) | undefined;
  private readonly calls = new Map<string, Call>();
  private readonly watchers = new Set<Watcher>();
  private readonly answerWatchers = new Set<AnswerWatcher>();

  constructor(private readonly clock: Clock = systemClock) {}

  private key = (tenant: string, callUuid: string) => `${tenant}/${callUuid}`;

  /** The stored call, synchronously, for assertions (a copy). */
  peek(tenant: string, callUuid: string): Call | undefined {
    const call = this.calls.get(this.key(tenant, callUuid));
    return call ? structuredClone(call) : undefined;
  }

  /** Every stored call (copies). */
  all(): Call[] {
    return [...this.calls.values()].map((c) => structuredClone(c));
  }

  /** Stores a call as is, for arranging a test. */
  put(call: Call): void {
    this.calls.set(this.key(call.tenant, call.callUuid), structuredClone(call));
  }

  /** The answer document of a device, if any. */
  answer(callUuid: string, deviceId: string): AnswerDoc | undefined {
    return this.answers.get(`${callUuid}/${deviceId}`);
  }

  createOnce(call: Call): Promise<{ call: Call; created: boolean }> {
    const key = this.key(call.tenant, call.callUuid);
    const existing = this.calls.get(key);
    if (existing) return Promise.resolve({ call: structuredClone(existing), created: false });
    this.calls.set(key, structuredClone(call));
    this.created.push(structuredClone(call));
    this.written(call.tenant, call.callUuid);
    return Promise.resolve({ call: structuredClone(call), created: true });
  }

  get(tenant: string, callUuid: string): Promise<Call | null> {
    const call = this.calls.get(this.key(tenant, callUuid));
    return Promise.resolve(call ? structuredClone(call) : null);
  }

  transition(
    tenant: string,
    callUuid: string,
    change: (call: Call) => CallPatch | null,
  ): Promise<{ call: Call; patch: CallPatch | null } | null> {
    const stored = this.calls.get(this.key(tenant, callUuid));
    if (!stored) return Promise.resolve(null);
    const call = structuredClone(stored);
    const patch = change(structuredClone(stored));
    if (patch) {
      mergeDeep(stored as unknown as Record<string, unknown>, patch);
      this.written(tenant, callUuid);
    }
    return Promise.resolve({ call, patch });
  }

  settleAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    now: number,
  ): Promise<'won' | 'late' | 'no_call'> {
    const answerKey = `${callUuid}/${answer.deviceId}`;
    const settled = this.answers.get(answerKey)?.outcome;
    if (settled) return Promise.resolve(settled);
    const stored = this.calls.get(this.key(tenant, callUuid));
    if (!stored) return Promise.resolve('no_call');
    // As Firestore's: the deadline is judged as of the commit, not of the caller's `now`.
    const at = Math.max(now, this.clock.now());
    const { outcome, patch } = applyAnswer(structuredClone(stored), answer, at);
    mergeDeep(stored as unknown as Record<string, unknown>, patch);
    const doc = this.answers.get(answerKey);
    this.answers.set(answerKey, {
      ...(doc ?? { ...answer, createdAt: this.clock.now() }),
      outcome,
    });
    this.settlements.push({ callUuid, deviceId: answer.deviceId, outcome, at: this.clock.now() });
    this.written(tenant, callUuid);
    return Promise.resolve(outcome);
  }

  createAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    door: AnswerDoor,
  ): Promise<boolean> {
    const key = `${callUuid}/${answer.deviceId}`;
    if (this.answers.has(key)) return Promise.resolve(false);
    const doc: AnswerDoc = {
      ...answer,
      answeredAt: this.clock.now(),
      createdAt: this.clock.now(),
      ...(door === 'api' ? { door } : {}),
    };
    this.answers.set(key, doc);
    for (const w of this.answerWatchers) if (w.callUuid === callUuid) this.tellAnswer(w, doc);
    this.onWrite?.({ kind: 'answer', tenant, callUuid, deviceId: answer.deviceId, answer: doc });
    return Promise.resolve(true);
  }

  getAnswer(_tenant: string, callUuid: string, deviceId: string): Promise<StoredAnswer | null> {
    const doc = this.answers.get(`${callUuid}/${deviceId}`);
    if (!doc) return Promise.resolve(null);
    const { action, uid, answeredAt, outcome } = doc;
    return Promise.resolve({
      answer: { action, deviceId, uid, answeredAt },
      ...(outcome ? { outcome } : {}),
    });
  }

  createReceipt(tenant: string, callUuid: string, deviceId: string, uid: string): Promise<boolean> {
    const key = `${callUuid}/${deviceId}`;
    if (this.receipts.has(key)) return Promise.resolve(false);
    const receivedAt = this.clock.now();
    this.receipts.set(key, { deviceId, uid, receivedAt });
    this.onWrite?.({ kind: 'receipt', tenant, callUuid, deviceId, receivedAt });
    return Promise.resolve(true);
  }

  /** As Firestore's listener: every unsettled answer there, then each new one, each async. */
  watchAnswers(
    _tenant: string,
    callUuid: string,
    onAnswer: (answer: Answer, createdAt: number) => void,
  ): () => void {
    const watcher: AnswerWatcher = { callUuid, onAnswer };
    this.answerWatchers.add(watcher);
    for (const [key, doc] of this.answers) {
      if (key.startsWith(`${callUuid}/`)) this.tellAnswer(watcher, doc);
    }
    return () => {
      this.answerWatchers.delete(watcher);
    };
  }

  private tellAnswer(
    watcher: AnswerWatcher,
    { action, deviceId, uid, answeredAt, createdAt, outcome, door }: AnswerDoc,
  ): void {
    if (outcome || door === 'api') return;
    queueMicrotask(() => {
      if (this.answerWatchers.has(watcher)) {
        watcher.onAnswer({ action, deviceId, uid, answeredAt }, createdAt);
      }
    });
  }

  waitFor(
    tenant: string,
    callUuid: string,
    done: (call: Call) => boolean,
    timeoutMs: number,
  ): Promise<Call | null> {
    return new Promise((resolve) => {
      const stop = new AbortController();
      const stored = this.calls.get(this.key(tenant, callUuid));
      const watcher: Watcher = {
        key: this.key(tenant, callUuid),
        done,
        last: stored ? structuredClone(stored) : null,
        finish: () => {
          if (!this.watchers.delete(watcher)) return;
          stop.abort();
          resolve(watcher.last);
        },
      };
      this.watchers.add(watcher);
      if (watcher.last && done(watcher.last)) {
        watcher.finish();
        return;
      }
      void this.clock.sleep(timeoutMs, stop.signal).then(() => {
        watcher.finish();
      });
    });
  }

  /** A call document changed: listeners and triggers see it. */
  private written(tenant: string, callUuid: string): void {
    const key = this.key(tenant, callUuid);
    const stored = this.calls.get(key);
    if (!stored) return;
    for (const watcher of [...this.watchers]) {
      if (watcher.key !== key) continue;
      watcher.last = structuredClone(stored);
      if (watcher.done(watcher.last)) watcher.finish();
    }
    this.onWrite?.({ kind: 'call', tenant, callUuid, after: structuredClone(stored) });
  }
}
