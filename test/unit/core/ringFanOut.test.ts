import assert from 'node:assert/strict';
import { callUuid } from '../../../functions/core/callUuid';
import { FANOUT_LEASE_MS } from '../../../functions/core/fanOutLease';
import { startIncomingCall, type IncomingCallDeps } from '../../../functions/core/incomingCall';
import { sweep, type SweepDeps } from '../../../functions/core/maintenance';
import type { Call } from '../../../functions/core/model';
import type { SendResult } from '../../../functions/core/push';
import type { IncomingCallRequest } from '../../../functions/core/schemas';
import {
  deferred,
  FakeCallStore,
  FakeClock,
  FakeDeviceStore,
  FakeSender,
  settle,
  TEST_ENDPOINTS,
  UNUSED_SENDER,
} from '../../support/fakes';
import { androidDevice, FCM_TOKEN, NOW } from './fixtures';

const TENANT = 'acme';
const REQUEST: IncomingCallRequest = { call_id: 'pbx-7', to: '100', ring_timeout: 30 };
const UUID = callUuid(TENANT, REQUEST.call_id);
const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };

function setup() {
  const clock = new FakeClock(NOW);
  const calls = new FakeCallStore(clock);
  const devices = new FakeDeviceStore();
  const fcm = new FakeSender(clock);
  const deps: IncomingCallDeps = {
    calls,
    devices,
    senders: { fcm, apns: new FakeSender(clock), webpush: UNUSED_SENDER, hms: UNUSED_SENDER },
    endpoints: TEST_ENDPOINTS,
    clock,
    sendBudgetMs: 8_000,
  };
  devices.put(TENANT, androidDevice());
  devices.put(TENANT, androidDevice({ deviceId: 'tablet', fcmToken: 'tablet-token' }));
  return { clock, calls, devices, fcm, deps };
}

/** The call as a request that died right after its create left it: every push pending. */
async function orphan(s: ReturnType<typeof setup>, leaseUntil: number): Promise<Call> {
  const dead = { ...s.deps, senders: { fcm: hang(), apns: hang(), webpush: hang(), hms: hang() } };
  void startIncomingCall(TENANT, REQUEST, dead);
  await settle();
  s.calls.put({ ...s.calls.peek(TENANT, UUID)!, fanOut: { leaseUntil, holder: 'dead' } });
  return s.calls.peek(TENANT, UUID)!;
}
const hang = () => ({ send: () => new Promise<SendResult>(() => undefined) });

describe('the fan-out lease: who finishes a call whose pushes were never all sent', () => {
  it('a duplicate waits for the request holding the lease and answers with its outcome', async () => {
    const s = setup();
    const slow = deferred<SendResult>();
    s.fcm.script(FCM_TOKEN, slow);
    const first = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    const copy = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    slow.resolve(ACCEPTED);
    const [a, b] = await Promise.all([first, copy]);
    assert.deepEqual([a.pushed, b.pushed, b.duplicate], [2, 2, true]);
    assert.equal(s.fcm.sent.length, 2, 'one push per device');
  });

  it('renews the lease while its pushes are slow, so a duplicate does not push again', async () => {
    const s = setup();
    const slow = deferred<SendResult>();
    s.fcm.script(FCM_TOKEN, slow);
    const first = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    const copy = startIncomingCall(TENANT, REQUEST, s.deps);
    // Ten virtual seconds pass with the first request alive and waiting on FCM.
    const waited = s.clock.sleep(5_000).then(() => {
      slow.resolve(ACCEPTED);
    });
    await Promise.all([first, copy, waited]);
    assert.equal(s.fcm.sent.length, 2);
    assert.ok(s.calls.peek(TENANT, UUID)!.fanOut!.leaseUntil > NOW + FANOUT_LEASE_MS);
  });

  it('a duplicate takes over once the lease of a request that died has lapsed', async () => {
    const s = setup();
    await orphan(s, NOW + FANOUT_LEASE_MS);
    const retry = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(retry.pushed, 2);
    assert.ok(s.clock.now() >= NOW + FANOUT_LEASE_MS, 'not before the lease lapsed');
    const call = s.calls.peek(TENANT, UUID)!;
    assert.deepEqual(
      Object.values(call.deliveries).map((d) => d.status),
      ['accepted', 'accepted'],
    );
  });

  it('records a refused resumed push as unknown: the dead request may have rung the phone', async () => {
    const s = setup();
    await orphan(s, NOW);
    s.fcm.script('tablet-token', { kind: 'failed', retryable: false, status: 400, reason: 'x' });
    await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(s.calls.peek(TENANT, UUID)!.deliveries.tablet?.status, 'unknown');
  });

  it('the sweeper pushes a ringing call an instance left, and leaves one still held', async () => {
    const s = setup();
    await orphan(s, NOW);
    const deps: SweepDeps = {
      ring: s.deps as SweepDeps['ring'],
      cancel: { ...s.deps, clock: s.clock, leaseMs: 15_000, sendBudgetMs: 10_000 },
      sendersFor: () => Promise.resolve(s.deps.senders),
      ringingCalls: () => Promise.resolve(s.calls.all().filter((c) => c.status === 'ringing')),
      openCancelJobs: () => Promise.resolve([]),
    };
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 1, cancels: 0, failed: 0 });
    assert.equal(s.fcm.sent.length, 2);
    assert.deepEqual(await sweep(deps, NOW + 2_000), { resumed: 0, cancels: 0, failed: 0 });
  });
});
