import { systemClock, type Clock } from './deliver';
import { acceptedCount, fanOut } from './fanOut';
import type { CallStore, DeviceStore } from './ports';
import type { PushSender, Provider } from './push';
import type { PushEndpoints } from './render';
import { renderCancel } from './renderCancel';

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
}

/**
 * Stops the ringing everywhere once a call has ended: takes the call's cancel
 * job under a lease, sends each ringing device its cancel push in parallel,
 * and records the outcomes. A second run (trigger redelivery) finds the job
 * taken or done and sends nothing.
 */
export async function sendCancels(
  tenant: string,
  callUuid: string,
  deps: CancelDeps,
): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const leased = await deps.calls.leaseCancel(tenant, callUuid, deps.leaseMs);
  if (!leased) return 0;
  const { call, cancel } = leased;
  const devices = await deps.devices.getMany(tenant, cancel.targets);
  const now = clock.now();
  const plans = devices.flatMap(
    (device) => renderCancel(call, device, cancel.reason, deps.endpoints, now) ?? [],
  );
  const results = await fanOut(call, plans, now + deps.sendBudgetMs, { ...deps, clock });
  await deps.calls.finishCancel(tenant, callUuid, results);
  return acceptedCount(results);
}
