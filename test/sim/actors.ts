import { applyPbxCancel, type Answer } from '../../functions/core/callState';
import { runCancelJob } from '../../functions/core/cancelCall';
import { callUuid } from '../../functions/core/callUuid';
import { startIncomingCall, type IncomingCallAnswer } from '../../functions/core/incomingCall';
import { expireRingingCalls, sweep } from '../../functions/core/maintenance';
import type { Call } from '../../functions/core/model';
import type { AnswerDoc, StoreWrite } from '../support/fakeCallStore';
import { API_BUDGET, EVENT_BUDGET, type Run } from './runs';
import { CALL_ID, EXTENSION, SEND_BUDGET_MS, TENANT, type World } from './world';

export const UUID = callUuid(TENANT, CALL_ID);

/** What the PBX was told, and when. */
export interface PbxReply {
  at: number;
  runId: number;
  answer: IncomingCallAnswer;
}

/** The actors' logs, for the invariants. */
export interface ActorLog {
  replies: PbxReply[];
  /** Trigger deliveries, and how many failed and were retried. */
  deliveries: number;
  redeliveries: number;
}

/** Runs `work` as `run`: settles with its result, or with 'died' / 'timeout' / the error. */
async function serve<T>(
  world: World,
  run: Run,
  work: () => Promise<T>,
  timeoutMs: number,
): Promise<{ ok: true; value: T } | { ok: false; why: string }> {
  const stop = new AbortController();
  try {
    const value = await Promise.race([
      work(),
      run.died.then(() => {
        throw new Error('died');
      }),
      world.clock.sleep(timeoutMs, stop.signal).then(() => {
        if (!stop.signal.aborted) throw new Error('timeout');
        return new Promise<never>(() => undefined);
      }),
    ]);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, why: err instanceof Error ? err.message : 'error' };
  } finally {
    stop.abort();
  }
}

/** One POST /v1/calls; the PBX's HTTP client gives up after 10 s (the dialplan's httptimeout). */
async function postCall(world: World, log: ActorLog): Promise<boolean> {
  const run = world.run('pbx_post', API_BUDGET);
  const request = { call_id: CALL_ID, to: EXTENSION, ring_timeout: world.scenario.ringTimeout };
  const served = await serve(
    world,
    run,
    () => startIncomingCall(TENANT, request, world.ringDeps(run)),
    10_000,
  );
  if (served.ok) log.replies.push({ at: world.clock.now(), runId: run.id, answer: served.value });
  return served.ok;
}

/** The PBX: POST /v1/calls, retried until it answers or the ring time is over; copies; cancels. */
export function pbx(world: World, log: ActorLog): Promise<unknown>[] {
  const { scenario, clock } = world;
  const deadline = world.start + scenario.ringTimeout * 1_000;
  const main = (async () => {
    for (let i = 0; ; i += 1) {
      if (await postCall(world, log)) return;
      if (clock.now() >= deadline) return;
      await clock.sleep(scenario.retryDelays[i % scenario.retryDelays.length] ?? 1_000);
    }
  })();
  const copies = scenario.duplicatesAt.map(async (at) => {
    await clock.sleep(at);
    await postCall(world, log);
  });
  const cancels: Promise<unknown>[] = [];
  const cancel = async (at: number, reason: 'hangup' | 'timeout') => {
    await clock.sleep(at);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const run = world.run('pbx_cancel', API_BUDGET);
      const calls = world.callStore(run);
      const now = clock.now();
      const served = await serve(
        world,
        run,
        () => calls.transition(TENANT, UUID, (c) => applyPbxCancel(c, reason, now)),
        5_000,
      );
      if (served.ok) return;
      await clock.sleep(500);
    }
  };
  if (scenario.cancelAt !== null) cancels.push(cancel(scenario.cancelAt, 'hangup'));
  if (scenario.pbxTimeoutCancel) cancels.push(cancel(scenario.ringTimeout * 1_000, 'timeout'));
  return [main, ...copies, ...cancels];
}

/** An app answers its ringing phone: a Firestore write the rules may refuse, else HTTPS. */
export function apps(world: World): Promise<unknown>[] {
  return world.scenario.answers.map(async (spec) => {
    const phone = world.phones[spec.device % world.phones.length];
    if (!phone) return;
    await world.clock.sleep(spec.at);
    const rang = world.providers.records.some(
      (r) => r.reached && r.type === 'incoming_call' && r.token === phone.pushToken,
    );
    if (!rang) return;
    const deviceId = phone.device.deviceId;
    const answer: Answer = {
      action: spec.action,
      deviceId,
      uid: `uid-${deviceId}`,
      answeredAt: world.clock.now(),
    };
    if (spec.via === 'firestore') {
      // firestore.rules: a create only while the call rings and before its deadline.
      const call = world.calls.peek(TENANT, UUID);
      const now = world.clock.now();
      if (call?.status === 'ringing' && now < call.expiresAt) {
        await world.calls.createAnswer(TENANT, UUID, answer);
        return;
      }
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const run = world.run('app_answer', API_BUDGET);
      const calls = world.callStore(run);
      const served = await serve(
        world,
        run,
        async () => {
          const created = await calls.createAnswer(TENANT, UUID, answer);
          if (!created) return 'conflict';
          return calls.settleAnswer(TENANT, UUID, answer, world.clock.now());
        },
        10_000,
      );
      if (served.ok) return;
      await world.clock.sleep(500);
    }
  });
}

/** The expiry job: expire, then sweep. */
export async function job(world: World): Promise<boolean> {
  const run = world.run('job', EVENT_BUDGET);
  const calls = world.callStore(run);
  const queries = world.maintenance(run);
  const clock = run.clock(world.clock);
  const served = await serve(
    world,
    run,
    async () => {
      const now = clock.now();
      await expireRingingCalls(
        { calls, ringingPastDeadline: (at) => queries.ringingPastDeadline(at) },
        now,
      );
      const ring = world.ringDeps(run);
      const cancel = world.cancelDeps(run);
      return sweep(
        {
          ring,
          cancel,
          sendersFor: () => Promise.resolve(world.senders(run)),
          ringingCalls: (at) => queries.ringingCalls(at),
          openCancelJobs: () => queries.openCancelJobs(),
        },
        now,
      );
    },
    60_000,
  );
  return served.ok;
}

/**
 * Eventarc for the two triggers: every write is delivered late (up to triggerDelayMax),
 * sometimes twice, in any order; a run that throws or dies is redelivered with backoff, as
 * `retry: true` asks, up to 12 times.
 */
export function triggers(world: World, log: ActorLog): void {
  const { clock, rng, scenario } = world;
  const deliver = (write: StoreWrite, attempt: number, delay: number): void => {
    void clock.sleep(delay).then(async () => {
      log.deliveries += 1;
      const ok = await handle(write);
      if (!ok && attempt < 12) {
        log.redeliveries += 1;
        deliver(write, attempt + 1, rng.int(1_000, 2 ** Math.min(attempt, 4) * 2_000));
      }
    });
  };
  const handle = async (write: StoreWrite): Promise<boolean> => {
    if (write.kind === 'call') return onCallWritten(write.after);
    if (write.kind === 'answer') return onAnswerWritten(write.answer);
    return true;
  };
  const onCallWritten = async (after: Call): Promise<boolean> => {
    if (after.cancel?.state !== 'pending') return true;
    const run = world.run('on_call_written', EVENT_BUDGET);
    const served = await serve(
      world,
      run,
      () => runCancelJob(TENANT, after.callUuid, world.cancelDeps(run), 20_000),
      60_000,
    );
    return served.ok && served.value.kind !== 'busy';
  };
  const onAnswerWritten = async (doc: AnswerDoc): Promise<boolean> => {
    if (doc.outcome) return true;
    const run = world.run('on_answer_written', EVENT_BUDGET);
    const calls = world.callStore(run);
    const answer: Answer = {
      action: doc.action,
      deviceId: doc.deviceId,
      uid: doc.uid,
      answeredAt: doc.answeredAt,
    };
    const served = await serve(
      world,
      run,
      () => calls.settleAnswer(TENANT, UUID, answer, world.clock.now()),
      60_000,
    );
    return served.ok;
  };
  world.calls.onWrite = (write) => {
    if (write.kind === 'receipt') return;
    deliver(write, 0, rng.int(0, scenario.triggerDelayMax));
    if (rng.chance(scenario.duplicateDeliveryRate)) {
      deliver(write, 0, rng.int(0, scenario.triggerDelayMax));
    }
  };
}

export { SEND_BUDGET_MS };
