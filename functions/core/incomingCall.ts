import { callUuid } from './callUuid';
import { systemClock, type Clock } from './deliver';
import { acceptedCount, fanOut } from './fanOut';
import type { Call, Delivery } from './model';
import type { CallStore, DeviceStore } from './ports';
import type { PushSender, Provider } from './push';
import { renderIncomingCall, type PlannedPush, type PushEndpoints } from './render';
import type { IncomingCallRequest } from './schemas';

export interface IncomingCallDeps {
  calls: CallStore;
  devices: DeviceStore;
  /** The sender for each provider (live clients, or the outbox). */
  senders: Record<Provider, PushSender>;
  endpoints: PushEndpoints;
  clock?: Clock;
  /** Longest the PBX's request may wait on pushes, whatever the ring time. */
  sendBudgetMs: number;
}

export interface IncomingCallAnswer {
  status: Call['status'];
  call_id: string;
  call_uuid: string;
  devices: number;
  pushed: number;
  duplicate: boolean;
}

const answer = (call: Call, duplicate: boolean): IncomingCallAnswer => ({
  status: call.status,
  call_id: call.callId,
  call_uuid: call.callUuid,
  devices: call.devices,
  pushed: call.pushed,
  duplicate,
});

function pendingDelivery(plan: PlannedPush, platform: Delivery['platform']): Delivery {
  return {
    platform,
    provider: plan.push.provider,
    kind: plan.kind,
    status: 'pending',
    attempts: 0,
  };
}

/**
 * The ring path: record the call once, push every device of the extension in
 * parallel, drop tokens the providers declared dead, record each outcome.
 * A duplicate request (PBX retry, or a concurrent copy) returns the stored
 * call and pushes nothing.
 */
export async function startIncomingCall(
  tenant: string,
  request: IncomingCallRequest,
  deps: IncomingCallDeps,
): Promise<IncomingCallAnswer> {
  const clock = deps.clock ?? systemClock;
  const uuid = callUuid(tenant, request.call_id);
  const devices = await deps.devices.listByExtension(tenant, request.to);
  const now = clock.now();
  const base: Call = {
    tenant,
    callId: request.call_id,
    callUuid: uuid,
    extension: request.to,
    sipCallId: request.sip_call_id ?? request.call_id,
    status: devices.length > 0 ? 'ringing' : 'no_devices',
    ringTimeout: request.ring_timeout,
    createdAt: now,
    expiresAt: now + request.ring_timeout * 1000,
    devices: devices.length,
    pushed: 0,
    deliveries: {},
    ...(request.from ? { from: request.from } : {}),
    ...(request.from_name ? { fromName: request.from_name } : {}),
  };
  const plans = devices.flatMap((device) => {
    const plan = renderIncomingCall(base, device, deps.endpoints, now);
    return plan ? [{ plan, device }] : [];
  });
  const call: Call = {
    ...base,
    deliveries: Object.fromEntries(
      plans.map(({ plan, device }) => [plan.deviceId, pendingDelivery(plan, device.platform)]),
    ),
  };

  const { call: stored, created } = await deps.calls.createOnce(call);
  if (!created) return answer(stored, true);
  if (plans.length === 0) return answer(stored, false);

  const deadline = Math.min(call.expiresAt, now + deps.sendBudgetMs);
  const outcomes = await fanOut(
    call,
    plans.map(({ plan }) => plan),
    deadline,
    { ...deps, clock },
  );
  const pushed = acceptedCount(outcomes);
  await deps.calls.recordDeliveries(tenant, uuid, outcomes, pushed);
  return { ...answer(call, false), pushed };
}
