import type { Clock } from '../clock';
import { deliver, type PushSource } from './deliverPush';
import type { Call, DeliveryResult } from '../model';
import type { DeviceStore } from '../ports';
import type { Provider, PushSender } from './push';
import type { RetryPolicy } from './retryPolicy';

/** One device's push in a fan-out. */
export interface FanOutPlan {
  deviceId: string;
  provider: Provider;
  /** The token the push targets: dropped only if the provider declares it dead. */
  token: string;
  push: PushSource;
}

export interface FanOutDeps {
  devices: Pick<DeviceStore, 'dropToken' | 'setApnsEnv'>;
  senders: Record<Provider, PushSender>;
  clock: Clock;
  policy?: RetryPolicy;
  random?: () => number;
  /** Re-checked before each retry (see deliver). */
  stillWanted?: () => Promise<boolean>;
}

/**
 * Sends every planned push of a call at once, each retried within `deadline`. A token the
 * provider declared dead is dropped; a token the other APNs environment accepted has its
 * device's environment corrected. Returns each device's outcome and never throws: a store call
 * that fails here (dropToken, setApnsEnv) costs only its own effect, never another device's
 * outcome (a dead token is tried, and dropped, again on the next call).
 */
export async function fanOut(
  call: Pick<Call, 'tenant' | 'callId' | 'callUuid'>,
  plans: FanOutPlan[],
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
      const result = await deliver(deps.senders[plan.provider], plan.push, deadline, meta, {
        clock: deps.clock,
        ...(deps.policy ? { policy: deps.policy } : {}),
        ...(deps.random ? { random: deps.random } : {}),
        ...(deps.stillWanted ? { stillWanted: deps.stillWanted } : {}),
      });
      try {
        if (result.status === 'dead_token') {
          await deps.devices.dropToken(call.tenant, plan.deviceId, plan.token);
        } else if (result.apnsEnv) {
          await deps.devices.setApnsEnv(call.tenant, plan.deviceId, plan.token, result.apnsEnv);
        }
      } catch {
        // The outcome stands; only the token's bookkeeping waits for the next call.
      }
      return [plan.deviceId, result] as const;
    }),
  );
  return Object.fromEntries(results);
}

/** How many pushes a provider accepted. */
export const acceptedCount = (results: Record<string, DeliveryResult>) =>
  Object.values(results).filter((r) => r.status === 'accepted').length;
