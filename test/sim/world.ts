import { callUuid } from '../../functions/core/call/callUuid';
import type { Clock } from '../../functions/core/clock';
import type { Call, Device } from '../../functions/core/model';
import { applyPatch } from '../../functions/core/call/patch';
import type { RenderedPush } from '../../functions/core/send/push';
import { FakeClock } from '../support/fakeClock';
import type { Backend } from './backend';
import { Eventarc } from './eventarc';
import { FaultPlan, type FaultCounts } from './faults';
import { Instance, never, Run, type FunctionName } from './instances';
import { deviceOf, EXTENSION, makePhone, type SimPhone } from './phones';
import { SimProviders, type TokenTruth } from './providers';
import type { AppAnswer, ChurnRecord, PbxReply, SimCall } from './records';
import { Rng } from './rng';
import type { Scenario } from './scenario';
import type { Landed, Observation, StoreEnv } from './storeLayer';

export { deviceOf, EXTENSION, pushToken, type SimPhone } from './phones';
export type { AppAnswer, ChurnRecord, PbxReply, SimCall, TriggerEvent } from './records';

export const API_KEY = 'cwk_sim_0123456789abcdefghij';
/** PUSH_SEND_BUDGET_MS's default (functions/config.ts). */
export const SEND_BUDGET_MS = 8_000;
/** The deployed functions' timeout (functions/config.ts). */
export const FUNCTION_TIMEOUT_MS = 60_000;
/** The faults of a schedule whose healAt is null stop this long after its last ring deadline. */
const STORM_AFTER_DEADLINE_MS = 120_000;
/** The expiry job keeps running this long after the last ring deadline. */
const HORIZON_AFTER_DEADLINE_MS = 300_000;

/**
 * Everything one schedule runs against: virtual time, the stores (in memory or on the
 * emulator) with faults per run, the fake providers, the phones, and every function's
 * instances. The actors (actors/) drive the real routes, trigger handlers and expiry job
 * through the ports built here; the world records what it saw for the invariants.
 */
export class World {
  readonly clock = new FakeClock(1_700_000_000_000);
  readonly rng: Rng;
  readonly plan: FaultPlan;
  readonly providers: SimProviders;
  readonly phones: SimPhone[];
  readonly calls: SimCall[];
  readonly tokens = new Map<string, TokenTruth>();
  readonly landed: Landed[] = [];
  readonly observations: Observation[] = [];
  readonly runs: Run[] = [];
  readonly instances: Instance[] = [];
  readonly pbxReplies: PbxReply[] = [];
  readonly appAnswers: AppAnswer[] = [];
  readonly churn: ChurnRecord[] = [];
  readonly eventarc: Eventarc;
  readonly start: number;
  /** The last ring deadline, and when the expiry job stops running. */
  readonly lastDeadline: number;
  readonly horizon: number;
  private readonly rang = new Map<string, (() => void)[]>();
  /** When the schedule killed a cancel job's holder on purpose (crashCancelHolder), per call. */
  readonly holderCrashes = new Map<string, number>();
  /** When the schedule killed a call's creator as its pushes left (creatorDiesInFlight), per call. */
  readonly inFlightCrashes = new Map<string, number>();
  /** Creator runs to kill as their first incoming push leaves, and who to tell then. */
  private readonly racing = new Map<number, { call: SimCall; left: () => void }>();
  readonly backend: Backend;

  constructor(
    readonly scenario: Scenario,
    counts: FaultCounts,
    makeBackend: (clock: FakeClock) => Backend,
    readonly tenant: string,
  ) {
    this.rng = new Rng(scenario.seed);
    this.start = this.clock.now();
    this.backend = makeBackend(this.clock);
    this.phones = scenario.phones.map((spec, i) => makePhone(spec, i, scenario.seed));
    this.calls = scenario.calls.map((spec, index) => {
      const callId = `call-${scenario.seed.toString(36)}-${index}`;
      return {
        index,
        spec,
        callId,
        callUuid: callUuid(tenant, callId),
        startAt: this.start + spec.at,
      };
    });
    this.lastDeadline = Math.max(...this.calls.map((c) => c.startAt + c.spec.ringTimeout * 1000));
    this.horizon = this.lastDeadline + HORIZON_AFTER_DEADLINE_MS;
    const calmAt =
      scenario.healAt === null
        ? this.lastDeadline + STORM_AFTER_DEADLINE_MS
        : this.start + scenario.healAt;
    this.plan = new FaultPlan(
      this.clock,
      this.rng,
      {
        store: scenario.storeFaultRate,
        provider: scenario.providerFaultRate,
        crash: scenario.crashRate,
      },
      counts,
      calmAt,
    );
    for (const phone of this.phones) this.learnTokens(phone);
    this.providers = new SimProviders(
      this.clock,
      this.rng,
      this.plan,
      this.tokens,
      scenario.phones,
    );
    this.providers.onReach = (record) => {
      if (record.type !== 'incoming_call' || record.phone === null) return;
      const key = `${record.phone}/${record.callUuid}`;
      for (const resolve of this.rang.get(key) ?? []) resolve();
      this.rang.delete(key);
    };
    this.providers.onLeave = (run, push) => this.creatorPushLeft(run, push);
    this.eventarc = new Eventarc(this);
  }

  /**
   * Marks the run serving a call's first POST to die as its incoming pushes leave (they land
   * IN_FLIGHT_MS later); resolves then, or never if it never pushes.
   */
  raceCreator(run: Run, call: SimCall): Promise<void> {
    return new Promise((left) => this.racing.set(run.id, { call, left }));
  }

  private creatorPushLeft(run: Run, push: RenderedPush): boolean {
    const race = this.racing.get(run.id);
    const type = (push.body as { type?: string }).type;
    if (!race || type !== 'incoming_call') return false;
    if (!this.inFlightCrashes.has(race.call.callUuid)) {
      this.inFlightCrashes.set(race.call.callUuid, this.clock.now());
      this.plan.counts.crash.creator_in_flight += 1;
      race.left();
      // A moment later, so that every push of its fan-out has left too.
      void this.clock.sleep(1).then(() => {
        if (run.stoppedAt !== Infinity) return;
        run.faults += 1;
        run.instance.kill(this.clock.now());
      });
    }
    return true;
  }

  /** When the faults stop. */
  get calmAt(): number {
    return this.plan.calmAt;
  }

  /** Tells the fake providers what a phone's current tokens are. */
  learnTokens(phone: SimPhone): void {
    const voip = phone.voipToken !== undefined;
    if (phone.voipToken) {
      this.tokens.set(phone.voipToken, {
        phone: phone.index,
        provider: 'apns',
        dead: phone.spec.dead,
        ...(phone.spec.trueEnv ? { env: phone.spec.trueEnv } : {}),
      });
    }
    if (phone.fcmToken) {
      this.tokens.set(phone.fcmToken, {
        phone: phone.index,
        provider: 'fcm',
        // The push token carries the phone's fate; an FCM token beside a PushKit one lives.
        dead: voip ? false : phone.spec.dead,
      });
    }
  }

  /** Registers the phones that exist before the calls, and every app user as a member. */
  async setUp(): Promise<void> {
    for (const phone of this.phones) {
      await this.backend.members.add(this.tenant, EXTENSION, phone.uid, 'invitation');
      if (!phone.spec.registered) continue;
      await this.backend.devices.upsert(this.tenant, deviceOf(phone, this.start));
      phone.registeredAt = -Infinity;
    }
  }

  /** Resolves when `phone` first rings for the call. */
  phoneRang(phone: number, uuid: string): Promise<void> {
    const key = `${phone}/${uuid}`;
    if (this.providers.records.some((r) => r.reached && r.phone === phone && r.callUuid === uuid))
      return Promise.resolve();
    return new Promise((resolve) => {
      this.rang.set(key, [...(this.rang.get(key) ?? []), resolve]);
    });
  }

  /** A new invocation of `fn`: on a warm instance, or a new (cold) one. */
  startRun(fn: FunctionName, kind: string, uuid: string | null): Run {
    const live = this.instances.filter((i) => i.fn === fn && !i.isDead());
    let instance = live.length > 0 ? this.rng.pick(live) : null;
    if (!instance || this.rng.chance(this.scenario.coldRate)) {
      const skew = this.rng.int(-this.scenario.maxSkewMs, this.scenario.maxSkewMs);
      instance = new Instance(this.instances.length + 1, fn, skew);
      this.instances.push(instance);
    }
    const run = new Run(this.runs.length + 1, kind, instance, uuid, this.clock.now());
    this.runs.push(run);
    return run;
  }

  /**
   * Runs `work` as `run` until it settles, its instance dies, or the function's timeout ends
   * the invocation.
   */
  async execute<T>(
    run: Run,
    work: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; why: string }> {
    const stop = new AbortController();
    try {
      const value = await Promise.race([
        work(),
        run.died.then(() => {
          throw new Error('died');
        }),
        this.clock.sleep(FUNCTION_TIMEOUT_MS, stop.signal).then(() => {
          if (stop.signal.aborted) return never<T>();
          run.kill(this.clock.now());
          throw new Error('function timeout');
        }),
      ]);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, why: err instanceof Error ? err.message : 'error' };
    } finally {
      stop.abort();
      run.end(this.clock.now());
    }
  }

  /** The run's clock: its instance's (skewed), and one a dead instance never wakes from. */
  runClock(run: Run): Clock {
    return {
      now: () => this.clock.now() + run.instance.skewMs,
      sleep: async (ms, signal) => {
        if (run.isDead()) return never();
        if (ms > 0 && !signal?.aborted && this.plan.crash('sleep')) {
          run.faults += 1;
          run.trouble(this.clock.now());
          const at = this.rng.int(0, ms);
          void this.clock.sleep(at, signal).then(() => {
            if (!signal?.aborted) run.instance.kill(this.clock.now());
          });
        }
        await this.clock.sleep(ms, signal);
        if (run.isDead()) return never();
      },
    };
  }

  /** The store layer's view of this world (storeLayer.ts). */
  storeEnv(): StoreEnv {
    return {
      clock: this.clock,
      rng: this.rng,
      plan: this.plan,
      landed: this.landed,
      observations: this.observations,
      onLanded: (entry) => this.publish(entry),
      listenerGraceMs: this.backend.listenerGraceMs,
    };
  }

  /** Kills the first trigger run that takes a call's cancel job, as it took it (the schedule says). */
  private crashCancelHolder(entry: Landed, uuid: string): void {
    if (!this.scenario.crashCancelHolder || entry.method !== 'transition') return;
    if (entry.runKind !== 'on_call_written' || this.holderCrashes.has(uuid)) return;
    const patch = (entry.result as { patch: { cancel?: { state?: string } } | null } | null)?.patch;
    const run = this.runs[entry.runId - 1];
    if (patch?.cancel?.state !== 'sending' || !run) return;
    this.holderCrashes.set(uuid, this.clock.now());
    this.plan.counts.crash.cancel_holder += 1;
    run.instance.kill(this.clock.now());
  }

  /** An app's answer written through the Firebase SDK (the rules allowed it): no function runs. */
  async clientAnswer(
    call: SimCall,
    phone: SimPhone,
    action: 'accept' | 'decline',
  ): Promise<boolean> {
    const release = this.clock.hold();
    let created: boolean;
    const answer = {
      action,
      deviceId: phone.deviceId,
      uid: phone.uid,
      answeredAt: this.clock.now(),
    };
    try {
      created = await this.backend.calls.createAnswer(this.tenant, call.callUuid, answer, 'sdk');
    } finally {
      release();
    }
    const entry: Landed = {
      runId: 0,
      runKind: 'app_sdk',
      store: 'calls',
      method: 'createAnswer',
      args: [this.tenant, call.callUuid, answer],
      result: created,
      at: this.clock.now(),
    };
    this.landed.push(entry);
    await this.publish(entry);
    return created;
  }

  /** The rules' view of a call: the stored document as it is now. */
  async peekCall(uuid: string): Promise<Call | null> {
    const release = this.clock.hold();
    try {
      return await this.backend.calls.get(this.tenant, uuid);
    } finally {
      release();
    }
  }

  /** The outcome on a phone's answer document (the app watches it). */
  async answerOutcome(uuid: string, phone: SimPhone): Promise<string | null | undefined> {
    const release = this.clock.hold();
    try {
      return await this.backend.answerOutcome(this.tenant, uuid, phone.deviceId);
    } finally {
      release();
    }
  }

  /** A phone's device record as stored now. */
  async peekDevice(phone: SimPhone): Promise<Device | null> {
    const release = this.clock.hold();
    try {
      return await this.backend.devices.get(this.tenant, phone.deviceId);
    } finally {
      release();
    }
  }

  /** Every write a trigger listens to becomes an event, as Firestore's change feed makes one. */
  private async publish(entry: Landed): Promise<void> {
    if (entry.store !== 'calls') return;
    const at = this.clock.now();
    const uuid = entry.args[1] as string;
    this.crashCancelHolder(entry, uuid);
    if (entry.method === 'createOnce') {
      const { call, created } = entry.result as { call: Call; created: boolean };
      if (created)
        this.eventarc.publish({ kind: 'call', callUuid: call.callUuid, after: call, at });
    } else if (entry.method === 'transition') {
      const result = entry.result as { call: Call; patch: Record<string, unknown> | null } | null;
      if (result?.patch) {
        const after = applyPatch(result.call, result.patch);
        this.eventarc.publish({ kind: 'call', callUuid: uuid, after, at });
      }
    } else if (entry.method === 'settleAnswer') {
      const after = await this.peekCall(uuid);
      if (after) this.eventarc.publish({ kind: 'call', callUuid: uuid, after, at });
    } else if (entry.method === 'createAnswer' && entry.result === true) {
      const answer = entry.args[2] as { action: string; deviceId: string; uid: string };
      const door = entry.args[3];
      this.eventarc.publish({
        kind: 'answer',
        callUuid: uuid,
        deviceId: answer.deviceId,
        data: {
          action: answer.action,
          deviceId: answer.deviceId,
          uid: answer.uid,
          answeredAt: { toMillis: () => at },
          ...(door === 'api' ? { door } : {}),
        },
        at,
      });
    }
  }
}
