import { randomBytes } from 'node:crypto';
import { startIncomingCall, type IncomingCallAnswer, type IncomingCallDeps } from './incomingCall';
import type { Device } from '../model';
import type { DeviceStore } from '../ports';
import { incomingCallSchema } from '../schemas';
import { validate } from '../validate';

/** The tenant's device store narrowed to one device: the test call rings it alone. */
export function onlyDevice(store: DeviceStore, device: Device): DeviceStore {
  return {
    listByExtension: () => Promise.resolve([device]),
    listForRing: () => Promise.resolve([device]),
    upsert: (tenant, d, caps) => store.upsert(tenant, d, caps),
    get: (tenant, id) => store.get(tenant, id),
    remove: (tenant, ext, id) => store.remove(tenant, ext, id),
    dropToken: (tenant, id, token) => store.dropToken(tenant, id, token),
    setApnsEnv: (tenant, id, token, env) => store.setApnsEnv(tenant, id, token, env),
    getMany: (tenant, ids) => store.getMany(tenant, ids),
  };
}

/** A test call's id: unique, and telling what it was. */
export const testCallId = (now: number) => `test-${now}-${randomBytes(3).toString('hex')}`;

/** What a test call's caller shows: the phone says who rang it. */
export const TEST_CALLER = { from: 'callwake', from_name: 'callwake test call' } as const;

/**
 * A real incoming call to one device, through the ring path the PBX uses (render, the
 * tenant's senders, retries, the call's timeline), so the app can acknowledge and answer it
 * like any call. `callId` is the caller's to make unique (`test-…`).
 */
export function ringOneDevice(
  tenant: string,
  device: Device,
  callId: string,
  deps: IncomingCallDeps,
): Promise<IncomingCallAnswer> {
  const request = validate(incomingCallSchema, {
    call_id: callId,
    to: device.extension,
    ...TEST_CALLER,
  });
  return startIncomingCall(tenant, request, { ...deps, devices: onlyDevice(deps.devices, device) });
}
