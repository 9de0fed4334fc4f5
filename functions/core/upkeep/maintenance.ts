import { applyExpiry } from '../call/callState';
import { cancelBusy } from '../cancel/cancelJobState';
import { runCancelJob, type CancelDeps } from '../cancel/sendCancels';
import { needsFanOut } from '../ring/fanOutLease';
import { leaseHeld } from '../call/lease';
import type { Call } from '../model';
import type { CallStore } from '../ports';
import type { Provider, PushSender } from '../send/push';
import { resumeFanOut, type RingDeps } from '../ring/ringFanOut';

export const DAY_MS = 86_400_000;

export interface ExpiryDeps {
  calls: Pick<CallStore, 'transition'>;
  ringingPastDeadline(now: number): Promise<{ tenant: string; callUuid: string }[]>;
}

/**
 * Ends every call still ringing past its deadline as `missed`; the call
 * trigger then sends the cancel pushes (reason `timeout`). A call answered
 * meanwhile is left alone: the transition re-checks inside its transaction.
 */
export async function expireRingingCalls(deps: ExpiryDeps, now: number): Promise<number> {
  const due = await deps.ringingPastDeadline(now);
  const results = await Promise.all(
    due.map(({ tenant, callUuid }) =>
      deps.calls.transition(tenant, callUuid, (call) => applyExpiry(call, now)),
    ),
  );
  return results.filter((r) => r?.patch).length;
}

export interface SweepDeps {
  ring: Omit<RingDeps, 'senders'>;
  cancel: Omit<CancelDeps, 'senders'>;
  sendersFor(tenant: string): Promise<Record<Provider, PushSender>>;
  /** Calls still ringing before their deadline. */
  ringingCalls(now: number): Promise<Call[]>;
  /** Ended calls whose cancel job is pending or being sent. */
  openCancelJobs(): Promise<Call[]>;
}

/**
 * The sweeper (run by the expiry job): finishes what an instance that died left behind. A
 * ringing call with pushes never recorded, whose fan-out lease has lapsed, gets them pushed; a
 * cancel job left pending (its trigger failed for good) or held by a run that died gets sent.
 * Each call is handled on its own: one failure does not stop the others.
 */
export async function sweep(
  deps: SweepDeps,
  now: number,
): Promise<{ resumed: number; cancels: number; failed: number }> {
  const [ringing, open] = await Promise.all([deps.ringingCalls(now), deps.openCancelJobs()]);
  const stalled = ringing.filter((c) => needsFanOut(c, now) && !leaseHeld(c.fanOut, now));
  const orphaned = open.filter((c) => !cancelBusy(c.cancel, now));
  const outcomes = await Promise.allSettled([
    ...stalled.map(async (call) => {
      const senders = await deps.sendersFor(call.tenant);
      return (await resumeFanOut(call, { ...deps.ring, senders }, now)).pushed !== undefined;
    }),
    ...orphaned.map(async (call) => {
      const senders = await deps.sendersFor(call.tenant);
      const run = await runCancelJob(call.tenant, call.callUuid, { ...deps.cancel, senders }, 0);
      return run.kind === 'sent';
    }),
  ]);
  const done = (from: number, to: number) =>
    outcomes.slice(from, to).filter((o) => o.status === 'fulfilled' && o.value).length;
  return {
    resumed: done(0, stalled.length),
    cancels: done(stalled.length, outcomes.length),
    failed: outcomes.filter((o) => o.status === 'rejected').length,
  };
}

/** Cut-off times for the daily clean-up. */
export function retentionCutoffs(now: number, staleDeviceDays: number, callRetentionDays: number) {
  return {
    devicesBefore: now - staleDeviceDays * DAY_MS,
    callsBefore: now - callRetentionDays * DAY_MS,
  };
}
