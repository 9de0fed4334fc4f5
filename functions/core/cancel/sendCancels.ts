import { cancelWaitUntil, finishCancelPatch, leaseCancelPatch } from './cancelJobState';
import { systemClock, type Clock } from '../clock';
import { leaseHolder } from '../call/lease';
import { acceptedCount, fanOut, type FanOutPlan } from '../send/pushToDevices';
import { applyPatch } from '../call/patch';
import type { CallStore, DeviceStore } from '../ports';
import type { PushSender, Provider } from '../send/push';
import type { PlannedPush, PushEndpoints } from '../render/incomingPush';
import { renderCancel } from '../render/cancelPush';
import type { RetryPolicy } from '../send/retryPolicy';

export interface CancelDeps {
  calls: CallStore;
  devices: DeviceStore;
  senders: Record<Provider, PushSender>;
  endpoints: PushEndpoints;
  clock?: Clock;
  /** How long one run may hold the job before another may take it over. */
  leaseMs: number;
  /** Longest the cancel pushes may take, retries included. */
  sendBudgetMs: number;
  policy?: RetryPolicy;
  random?: () => number;
}

export type CancelRun =
  | { kind: 'sent'; sent: number }
  /** Another run holds the job, or its next round waits, until `leaseUntil`. */
  | { kind: 'busy'; leaseUntil: number }
  /** Nothing to send: no job, or it is done. */
  | { kind: 'idle' };

const asPlan = ({ deviceId, push }: PlannedPush): FanOutPlan => ({
  deviceId,
  provider: push.provider,
  token: push.token,
  push,
});

/**
 * Stops the ringing everywhere once a call has ended: takes the call's cancel job under a
 * lease, sends each target device its cancel push in parallel, and records the outcomes (which
 * closes the round, or opens a follow-up round). A run that finds the job held by another
 * reports `busy`; one that finds it done sends nothing.
 */
export async function sendCancels(
  tenant: string,
  callUuid: string,
  deps: CancelDeps,
): Promise<CancelRun> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const holder = leaseHolder(now, deps.random ?? Math.random);
  const taken = await deps.calls.transition(tenant, callUuid, (c) =>
    leaseCancelPatch(c, now, deps.leaseMs, holder),
  );
  if (!taken) return { kind: 'idle' };
  if (!taken.patch) {
    const until = cancelWaitUntil(taken.call.cancel, now);
    return until === null ? { kind: 'idle' } : { kind: 'busy', leaseUntil: until };
  }
  const call = applyPatch(taken.call, taken.patch);
  const cancel = call.cancel;
  if (!cancel) return { kind: 'idle' };
  const devices = await deps.devices.getMany(tenant, cancel.targets);
  const plans = devices.flatMap((device) => {
    const planned = renderCancel(call, device, cancel.reason, deps.endpoints, clock.now());
    return planned ? [asPlan(planned)] : [];
  });
  const results = await fanOut(call, plans, clock.now() + deps.sendBudgetMs, { ...deps, clock });
  await deps.calls.transition(tenant, callUuid, (c) =>
    finishCancelPatch(c, cancel.round ?? 0, results, clock.now()),
  );
  return { kind: 'sent', sent: acceptedCount(results) };
}

/**
 * What a trigger run does: sends the cancels, and when another run holds the job, waits for it
 * to finish or for its lease to lapse (its instance may have died), then takes over. Still busy
 * after `maxWaitMs`: the caller throws, and the platform retries the event later.
 */
export async function runCancelJob(
  tenant: string,
  callUuid: string,
  deps: CancelDeps,
  maxWaitMs: number,
): Promise<CancelRun> {
  const clock = deps.clock ?? systemClock;
  const until = clock.now() + maxWaitMs;
  for (;;) {
    const run = await sendCancels(tenant, callUuid, deps);
    const now = clock.now();
    if (run.kind !== 'busy' || now >= until) return run;
    await deps.calls.waitFor(
      tenant,
      callUuid,
      (c) => cancelWaitUntil(c.cancel, clock.now()) === null,
      Math.min(until, run.leaseUntil + 1) - now,
    );
  }
}
