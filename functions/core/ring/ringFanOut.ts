import type { Clock } from '../clock';
import { applyDeliveries } from './recordDeliveries';
import type { Call, DeliveryResult, Device } from '../model';
import { fanOut, type FanOutPlan } from '../send/pushToDevices';
import { leaseHeld, leaseHolder } from '../call/lease';
import {
  FANOUT_LEASE_MS,
  needsFanOut,
  pendingDevices,
  renewFanOutLease,
  takeFanOutLease,
} from './fanOutLease';
import { applyPatch } from '../call/patch';
import type { CallStore, DeviceStore } from '../ports';
import type { Provider, PushSender } from '../send/push';
import { renderIncomingCall, type PlannedPush, type PushEndpoints } from '../render/incomingPush';
import type { RetryPolicy } from '../send/retryPolicy';

/** What pushing a call's incoming pushes needs. */
export interface RingDeps {
  calls: CallStore;
  devices: DeviceStore;
  senders: Record<Provider, PushSender>;
  endpoints: PushEndpoints;
  clock: Clock;
  /** Longest one request may spend pushing, retries included. */
  sendBudgetMs: number;
  leaseMs?: number;
  policy?: RetryPolicy;
  random?: () => number;
}

/** The incoming push for one device, rendered afresh on every attempt and for either APNs host. */
export function incomingPlan(
  call: Call,
  device: Device,
  endpoints: PushEndpoints,
  now: number,
): { plan: FanOutPlan; planned: PlannedPush } | null {
  const planned = renderIncomingCall(call, device, endpoints, now);
  if (!planned) return null;
  const { deviceId, push } = planned;
  const plan: FanOutPlan = {
    deviceId,
    provider: push.provider,
    token: push.token,
    push: (at, apnsEnv) =>
      renderIncomingCall(call, apnsEnv ? { ...device, apnsEnv } : device, endpoints, at)?.push ??
      push,
  };
  return { plan, planned };
}

/**
 * Renews `holder`'s fan-out lease from `now`, in a transaction: the call as renewed, or null once
 * another request holds the lease or the call needs no more pushing.
 */
export async function renewLease(
  call: Call,
  holder: string,
  deps: RingDeps,
  now: number,
  leaseMs: number,
): Promise<Call | null> {
  const renewed = await deps.calls.transition(call.tenant, call.callUuid, (c) =>
    renewFanOutLease(c, now, leaseMs, holder),
  );
  return renewed?.patch ? applyPatch(renewed.call, renewed.patch) : null;
}

/**
 * Runs `work` while renewing the call's fan-out lease, so that nobody takes over pushes that
 * are only slow. The renewals stop with the work, once the call needs no more pushing, or
 * once another request has taken the lease.
 */
async function holdingLease<T>(
  call: Call,
  holder: string,
  deps: RingDeps,
  work: () => Promise<T>,
): Promise<T> {
  const { clock } = deps;
  const leaseMs = deps.leaseMs ?? FANOUT_LEASE_MS;
  const stop = new AbortController();
  const beat = async () => {
    let leaseUntil = call.fanOut?.leaseUntil ?? clock.now() + leaseMs;
    let retryMs = 0;
    for (;;) {
      // Renew at half the lease (at once when a slow create used up more); after a failed
      // renewal, try again a quarter-lease later.
      await clock.sleep(Math.max(retryMs, leaseUntil - leaseMs / 2 - clock.now()), stop.signal);
      if (stop.signal.aborted) return;
      const now = clock.now();
      try {
        if (!(await renewLease(call, holder, deps, now, leaseMs))) return;
        leaseUntil = now + leaseMs;
        retryMs = 0;
      } catch {
        retryMs = leaseMs / 4;
      }
    }
  };
  void beat();
  try {
    return await work();
  } finally {
    stop.abort();
  }
}

/**
 * Pushes `plans` as `holder` of the fan-out lease, then records every outcome, renewing the
 * lease until the record is done. Each retry first checks that the call still rings. Returns
 * how many devices the call now counts as pushed. A record that fails leaves the deliveries
 * pending: a PBX retry or the sweeper may push them again (same call_uuid and collapse id, so
 * the phone shows one call), and cancels still target them.
 */
export async function pushAndRecord(
  call: Call,
  plans: FanOutPlan[],
  deps: RingDeps,
  from: { holder: string; resumed?: boolean; known?: Record<string, DeliveryResult> },
): Promise<number> {
  const { clock, calls } = deps;
  const deadline = Math.min(call.expiresAt, clock.now() + deps.sendBudgetMs);
  const stillWanted = async () => {
    const current = await calls.get(call.tenant, call.callUuid);
    return current?.status === 'ringing' && clock.now() < current.expiresAt;
  };
  return holdingLease(call, from.holder, deps, async () => {
    const outcomes = await fanOut(call, plans, deadline, { ...deps, stillWanted });
    const results = { ...from.known, ...outcomes };
    const accepted = Object.values(results).filter((r) => r.status === 'accepted').length;
    try {
      const recorded = await calls.transition(call.tenant, call.callUuid, (c) =>
        applyDeliveries(c, results, from),
      );
      return recorded ? applyPatch(recorded.call, recorded.patch).pushed : accepted;
    } catch {
      return accepted;
    }
  });
}

/** Pushes a call's pending deliveries with a lease just taken (a PBX retry, or the sweeper). */
async function pushPending(call: Call, holder: string, deps: RingDeps): Promise<number> {
  const ids = pendingDevices(call);
  const devices = new Map(
    (await deps.devices.getMany(call.tenant, ids)).map((d) => [d.deviceId, d]),
  );
  const now = deps.clock.now();
  const plans: FanOutPlan[] = [];
  const gone: Record<string, DeliveryResult> = {};
  for (const id of ids) {
    const device = devices.get(id);
    const made = device ? incomingPlan(call, device, deps.endpoints, now) : null;
    if (made) plans.push(made.plan);
    else
      gone[id] = {
        status: 'failed',
        attempts: 0,
        reason: 'no_device',
        pushedAt: now,
        settledAt: now,
      };
  }
  return pushAndRecord(call, plans, deps, { holder, resumed: true, known: gone });
}

/**
 * Finishes a call whose pushes were never all sent, as whoever sees it next (a PBX retry of
 * POST /v1/calls, or the sweeper): while another request holds the fan-out lease, waits (until
 * `waitUntil`) for it to record its pushes or for its lease to lapse, as it does when that
 * request's instance died; then takes the lease and pushes what is still pending.
 */
export async function resumeFanOut(
  start: Call,
  deps: RingDeps,
  waitUntil: number,
): Promise<{ call: Call; pushed?: number }> {
  const { clock, calls } = deps;
  const leaseMs = deps.leaseMs ?? FANOUT_LEASE_MS;
  let call = start;
  let pollMs = 100;
  for (let round = 0; round < 30; round += 1) {
    const now = clock.now();
    if (!needsFanOut(call, now)) return { call };
    if (leaseHeld(call.fanOut, now)) {
      if (now >= waitUntil) return { call };
      // The holder usually records within a few hundred ms: look again soon, then less often.
      // (Plain reads: a burst of duplicates on cold instances pays less than for listeners.)
      await clock.sleep(Math.min(pollMs, call.fanOut.leaseUntil - now + 1, waitUntil - now));
      pollMs = Math.min(pollMs * 2, 1_000);
      const seen = await calls.get(call.tenant, call.callUuid);
      if (!seen) return { call };
      call = seen;
      continue;
    }
    const holder = leaseHolder(now, deps.random ?? Math.random);
    const taken = await calls.transition(call.tenant, call.callUuid, (c) =>
      takeFanOutLease(c, now, leaseMs, holder),
    );
    if (!taken) return { call };
    call = applyPatch(taken.call, taken.patch);
    if (!taken.patch) continue;
    return { call, pushed: await pushPending(call, holder, deps) };
  }
  return { call };
}
