import { callUuid } from '../call/callUuid';
import { defaultDeviceCaps, type DeviceCaps } from '../devices/deviceAccess';
import { systemClock, type Clock } from '../clock';
import { FANOUT_LEASE_MS } from './fanOutLease';
import { leaseHolder, takeLease } from '../call/lease';
import type { Call, Delivery } from '../model';
import { AppError } from '../errors';
import type { CallStore, DeviceStore, ExtensionDirectory } from '../ports';
import type { PushSender, Provider } from '../send/push';
import type { PlannedPush, PushEndpoints } from '../render/incomingPush';
import type { RetryPolicy } from '../send/retryPolicy';
import { incomingPlan, pushAndRecord, renewLease, resumeFanOut, type RingDeps } from './ringFanOut';
import type { IncomingCallRequest } from '../schemas';

export interface IncomingCallDeps {
  calls: CallStore;
  devices: DeviceStore;
  /** The sender for each provider (live clients, or the outbox). */
  senders: Record<Provider, PushSender>;
  endpoints: PushEndpoints;
  clock?: Clock;
  /** Longest the PBX's request may wait on pushes, whatever the ring time. */
  sendBudgetMs: number;
  /** The extension's ring budgets (DeviceStore.listForRing); the defaults of core/limits.ts. */
  caps?: DeviceCaps;
  /**
   * Checks that must pass before the call is created (the tenant's call limits), run beside the
   * read of the extension's devices so they add no round trip.
   */
  admit?: () => Promise<void>;
  /** The fan-out lease (FANOUT_LEASE_MS unless a test says otherwise). */
  leaseMs?: number;
  policy?: RetryPolicy;
  random?: () => number;
  /** Tells a typo'd extension (unknown_extension) from one whose phones are gone (no_devices). */
  extensions?: ExtensionDirectory;
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
 *
 * The create is the only store round trip before the first push: it both checks that the call
 * is new (so it rings) and takes the fan-out lease. A duplicate request (a PBX retry, or a
 * concurrent copy) pushes only what the request holding the lease never finished: its create
 * may have landed after it gave up (a store deadline), or its instance may have died.
 */
export async function startIncomingCall(
  tenant: string,
  request: IncomingCallRequest,
  deps: IncomingCallDeps,
): Promise<IncomingCallAnswer> {
  const clock = deps.clock ?? systemClock;
  const ring: RingDeps = { ...deps, clock };
  const uuid = callUuid(tenant, request.call_id);
  const [devices] = await Promise.all([
    deps.devices.listForRing(tenant, request.to, deps.caps ?? defaultDeviceCaps()),
    deps.admit?.(),
  ]);
  // Asked only when there is nothing to ring: the ring path pays no extra read.
  const unknown =
    devices.length === 0 &&
    deps.extensions !== undefined &&
    !(await deps.extensions.everUsed(tenant, request.to));
  const now = clock.now();
  const base: Call = {
    tenant,
    callId: request.call_id,
    callUuid: uuid,
    extension: request.to,
    sipCallId: request.sip_call_id ?? request.call_id,
    status: devices.length > 0 ? 'ringing' : unknown ? 'unknown_extension' : 'no_devices',
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
    const made = incomingPlan(base, device, deps.endpoints, now);
    return made ? [{ ...made, device }] : [];
  });
  const holder = leaseHolder(now, deps.random ?? Math.random);
  const leaseMs = deps.leaseMs ?? FANOUT_LEASE_MS;
  const call: Call = {
    ...base,
    deliveries: Object.fromEntries(
      plans.map(({ planned, device }) => [
        planned.deviceId,
        pendingDelivery(planned, device.platform),
      ]),
    ),
    ...(plans.length > 0 ? { fanOut: takeLease(holder, now, leaseMs) } : {}),
  };

  const { call: stored, created } = await deps.calls.createOnce(call);
  if (!created && stored.extension !== request.to) {
    throw new AppError(
      'conflict',
      `call_id: ${request.call_id} is already a call to extension ${stored.extension}; give each call its own call_id (in Asterisk, the channel's \${UNIQUEID}).`,
      { call_id: `is already a call to extension ${stored.extension}` },
    );
  }
  if (!created) {
    const resumed = await resumeFanOut(stored, ring, clock.now() + deps.sendBudgetMs);
    return { ...answer(resumed.call, true), pushed: resumed.pushed ?? resumed.call.pushed };
  }
  if (plans.length === 0) return answer(stored, false);
  const held = await keepLeaseAfterCreate(call, ring, leaseMs);
  if (!held) {
    // While our create was landing, a duplicate took the call over (it pushes; we wait for its
    // record), or the call ended or needs no pushes any more.
    const resumed = await resumeFanOut(stored, ring, clock.now() + deps.sendBudgetMs);
    return { ...answer(resumed.call, false), pushed: resumed.pushed ?? resumed.call.pushed };
  }
  const pushed = await pushAndRecord(
    held,
    plans.map(({ plan }) => plan),
    ring,
    { holder },
  );
  return { ...answer(call, false), pushed };
}

/**
 * The lease was written with the clock read before the create; a create that took more than
 * half of it (a busy database retrying the transaction) leaves too little to push under, and a
 * duplicate may already have taken the call over. Renewing it first, in a transaction, tells
 * which: the renewed call to push, or null when another request holds the pushes now.
 */
async function keepLeaseAfterCreate(
  call: Call,
  deps: RingDeps,
  leaseMs: number,
): Promise<Call | null> {
  const holder = call.fanOut?.holder ?? '';
  const leaseUntil = call.fanOut?.leaseUntil ?? 0;
  const now = deps.clock.now();
  if (now < leaseUntil - leaseMs / 2) return call;
  return renewLease(call, holder, deps, now, leaseMs);
}
