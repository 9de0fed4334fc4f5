import type { CancelDeps } from '../../../functions/core/cancel/sendCancels';
import type { IncomingCallDeps } from '../../../functions/core/ring/incomingCall';
import {
  FakeCallStore,
  FakeClock,
  FakeDeviceStore,
  FakeSender,
  TEST_ENDPOINTS,
  UNUSED_SENDER,
} from '../../support/fakes';
import { NOW } from './fixtures';

/** The ports the ring and cancel paths take, over fakes, with the fakes at hand for assertions. */
export interface RingPorts {
  clock: FakeClock;
  calls: FakeCallStore;
  devices: FakeDeviceStore;
  fcm: FakeSender;
  apns: FakeSender;
  deps: IncomingCallDeps;
}

/**
 * Empty stores and FCM and APNs senders that accept everything, all on one fake clock starting
 * at NOW; Web Push and HMS are not expected. `sendMs`: virtual time each FCM send takes.
 */
export function ringPorts({ sendMs = 0 }: { sendMs?: number } = {}): RingPorts {
  const clock = new FakeClock(NOW);
  const calls = new FakeCallStore(clock);
  const devices = new FakeDeviceStore();
  const fcm = new FakeSender(clock, sendMs);
  const apns = new FakeSender(clock);
  const deps: IncomingCallDeps = {
    calls,
    devices,
    senders: { fcm, apns, webpush: UNUSED_SENDER, hms: UNUSED_SENDER },
    endpoints: TEST_ENDPOINTS,
    clock,
    sendBudgetMs: 8_000,
  };
  return { clock, calls, devices, fcm, apns, deps };
}

/** The cancel path's deps over the same ports: a cancel round may take 10 s. */
export const cancelDeps = (deps: IncomingCallDeps, leaseMs: number): CancelDeps => ({
  ...deps,
  leaseMs,
  sendBudgetMs: 10_000,
});
