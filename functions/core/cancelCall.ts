import type { Clock, DeliveryResult } from './deliver';
import { deliver, systemClock } from './deliver';
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
  const deadline = clock.now() + deps.sendBudgetMs;
  const results: Record<string, DeliveryResult> = {};
  await Promise.all(
    devices.map(async (device) => {
      const plan = renderCancel(call, device, cancel.reason, deps.endpoints, clock.now());
      if (!plan) return;
      const meta = { tenant, callId: call.callId, callUuid, deviceId: device.deviceId };
      const result = await deliver(
        deps.senders[plan.push.provider],
        plan.push,
        deadline,
        meta,
        clock,
      );
      if (result.status === 'dead_token')
        await deps.devices.dropToken(tenant, device.deviceId, plan.push.token);
      results[device.deviceId] = result;
    }),
  );
  await deps.calls.finishCancel(tenant, callUuid, results);
  return Object.values(results).filter((r) => r.status === 'accepted').length;
}
