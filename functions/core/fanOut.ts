import { deliver, type Clock, type DeliveryResult } from './deliver';
import type { Call } from './model';
import type { DeviceStore } from './ports';
import type { PushSender, Provider } from './push';
import type { PlannedPush } from './render';

export interface FanOutDeps {
  devices: Pick<DeviceStore, 'dropToken'>;
  senders: Record<Provider, PushSender>;
  clock: Clock;
}

/**
 * Sends every planned push of a call at once, each retried within
 * `deadline`; drops the tokens a provider declared dead. Returns each
 * device's outcome.
 */
export async function fanOut(
  call: Pick<Call, 'tenant' | 'callId' | 'callUuid'>,
  plans: PlannedPush[],
  deadline: number,
  deps: FanOutDeps,
): Promise<Record<string, DeliveryResult>> {
  const results = await Promise.all(
    plans.map(async (plan) => {
      const meta = {
        tenant: call.tenant,
        callId: call.callId,
        callUuid: call.callUuid,
        deviceId: plan.deviceId,
      };
      const sender = deps.senders[plan.push.provider];
      const result = await deliver(sender, plan.push, deadline, meta, deps.clock);
      if (result.status === 'dead_token')
        await deps.devices.dropToken(call.tenant, plan.deviceId, plan.push.token);
      return [plan.deviceId, result] as const;
    }),
  );
  return Object.fromEntries(results);
}

/** How many pushes a provider accepted. */
export const acceptedCount = (results: Record<string, DeliveryResult>) =>
  Object.values(results).filter((r) => r.status === 'accepted').length;
