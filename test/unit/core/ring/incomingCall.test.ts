import assert from 'node:assert/strict';
import { callUuid } from '../../../../functions/core/call/callUuid';
import {
  startIncomingCall,
  type IncomingCallDeps,
} from '../../../../functions/core/ring/incomingCall';
import type { SendResult } from '../../../../functions/core/send/push';
import type { IncomingCallRequest } from '../../../../functions/core/schemas';
import {
  deferred,
  FakeCallStore,
  FakeClock,
  FakeDeviceStore,
  FakeSender,
  settle,
  type Deferred,
} from '../../../support/fakes';
import { androidDevice, FCM_TOKEN, iosVoipDevice, VOIP_TOKEN } from '../fixtures';
import { ringPorts } from '../ringDeps';

const TENANT = 'acme';
const REQUEST: IncomingCallRequest = {
  call_id: '1700000000.42',
  to: '100',
  from: '+3225550100',
  from_name: 'Zoë',
  ring_timeout: 30,
};

describe('startIncomingCall', () => {
  let clock: FakeClock;
  let calls: FakeCallStore;
  let devices: FakeDeviceStore;
  let fcm: FakeSender;
  let apns: FakeSender;
  let deps: IncomingCallDeps;

  beforeEach(() => {
    ({ clock, calls, devices, fcm, apns, deps } = ringPorts());
  });

  it('creates a ringing call and pushes every device of the extension', async () => {
    const now = clock.now();
    devices.put(TENANT, androidDevice());
    devices.put(TENANT, iosVoipDevice());
    devices.put(
      TENANT,
      androidDevice({ deviceId: 'other-ext', extension: '200', fcmToken: 'elsewhere' }),
    );

    const answer = await startIncomingCall(TENANT, REQUEST, deps);

    const uuid = callUuid(TENANT, REQUEST.call_id);
    assert.deepEqual(answer, {
      status: 'ringing',
      call_id: REQUEST.call_id,
      call_uuid: uuid,
      devices: 2,
      pushed: 2,
      duplicate: false,
    });
    assert.deepEqual(calls.created, [
      {
        tenant: TENANT,
        callId: REQUEST.call_id,
        callUuid: uuid,
        extension: '100',
        from: '+3225550100',
        fromName: 'Zoë',
        sipCallId: REQUEST.call_id,
        status: 'ringing',
        ringTimeout: 30,
        createdAt: now,
        expiresAt: now + 30_000,
        devices: 2,
        pushed: 0,
        fanOut: { holder: calls.created[0]!.fanOut!.holder, takenAt: now, leaseUntil: now + 4_000 },
        deliveries: {
          'pixel-8': {
            platform: 'android',
            provider: 'fcm',
            kind: 'data',
            status: 'pending',
            attempts: 0,
          },
          'iphone-15': {
            platform: 'ios',
            provider: 'apns',
            kind: 'voip',
            status: 'pending',
            attempts: 0,
          },
        },
      },
    ]);
    assert.deepEqual(
      fcm.sent.map((s) => s.push.token),
      [FCM_TOKEN],
    );
    assert.deepEqual(
      apns.sent.map((s) => s.push.token),
      [VOIP_TOKEN],
    );
    assert.deepEqual(apns.sent[0]!.meta, {
      tenant: TENANT,
      callId: REQUEST.call_id,
      callUuid: uuid,
      deviceId: 'iphone-15',
    });
  });

  it('keeps the SIP Call-ID apart from the PBX call id when given', async () => {
    devices.put(TENANT, androidDevice());
    await startIncomingCall(TENANT, { ...REQUEST, sip_call_id: 'abc@pbx' }, deps);
    assert.equal(calls.created[0]!.sipCallId, 'abc@pbx');
    const data = (fcm.sent[0]!.push.body as { message: { data: Record<string, string> } }).message
      .data;
    assert.equal(data.sip_call_id, 'abc@pbx');
  });

  it('starts every push before any of them settles', async () => {
    const phones = ['a', 'b', 'c'].map((id) =>
      androidDevice({ deviceId: `phone-${id}`, fcmToken: `token-${id}` }),
    );
    const replies: Deferred<SendResult>[] = [];
    for (const phone of phones) {
      const reply = deferred<SendResult>();
      replies.push(reply);
      devices.put(TENANT, phone);
      fcm.script(phone.fcmToken!, reply);
    }

    const pending = startIncomingCall(TENANT, REQUEST, deps);
    await settle();
    assert.deepEqual(
      fcm.sent.map((s) => s.push.token).sort(),
      ['token-a', 'token-b', 'token-c'],
      'all three sends must be in flight at once',
    );
    for (const reply of replies) reply.resolve({ kind: 'accepted', status: 200 });
    const answer = await pending;
    assert.equal(answer.pushed, 3);
  });

  it('answers no_devices and pushes nothing when the extension has no device', async () => {
    const answer = await startIncomingCall(TENANT, REQUEST, deps);
    assert.deepEqual(answer, {
      status: 'no_devices',
      call_id: REQUEST.call_id,
      call_uuid: callUuid(TENANT, REQUEST.call_id),
      devices: 0,
      pushed: 0,
      duplicate: false,
    });
    assert.equal(calls.created.length, 1);
    assert.equal(calls.created[0]!.status, 'no_devices');
    assert.equal(calls.created[0]!.fanOut, undefined, 'nothing to push: no lease');
    assert.equal(fcm.sent.length + apns.sent.length, 0);
  });

  it('returns the stored call for a duplicate request and pushes nothing', async () => {
    devices.put(TENANT, androidDevice());
    const first = await startIncomingCall(TENANT, REQUEST, deps);
    clock.current += 2_000;
    const again = await startIncomingCall(TENANT, { ...REQUEST, ring_timeout: 60 }, deps);
    assert.deepEqual(again, { ...first, duplicate: true });
    assert.equal(fcm.sent.length, 1);
    assert.equal(calls.created.length, 1);
  });

  it('takes a concurrent duplicate as a duplicate: one call, one round of pushes', async () => {
    devices.put(TENANT, androidDevice());
    const [a, b] = await Promise.all([
      startIncomingCall(TENANT, REQUEST, deps),
      startIncomingCall(TENANT, REQUEST, deps),
    ]);
    assert.deepEqual([a.duplicate, b.duplicate].sort(), [false, true]);
    assert.equal(fcm.sent.length, 1);
  });

  it('renews a lease that a slow create half used up before pushing under it', async () => {
    devices.put(TENANT, androidDevice());
    const create = calls.createOnce.bind(calls);
    const started = clock.now();
    calls.createOnce = async (call) => {
      const result = await create(call);
      clock.current += 3_000; // the commit came back late
      return result;
    };
    const answer = await startIncomingCall(TENANT, REQUEST, deps);
    assert.equal(answer.pushed, 1);
    assert.equal(fcm.sent.length, 1);
    const stored = calls.peek(TENANT, callUuid(TENANT, REQUEST.call_id))!;
    assert.ok(stored.fanOut!.leaseUntil >= started + 3_000 + 4_000, 'renewed from the commit');
  });

  it('leaves the pushes to a duplicate that took the call over during a slow create', async () => {
    devices.put(TENANT, androidDevice());
    const create = calls.createOnce.bind(calls);
    let duplicate: Awaited<ReturnType<typeof startIncomingCall>> | undefined;
    calls.createOnce = async (call) => {
      const result = await create(call);
      if (result.created) {
        // The create lands, its answer is slow; meanwhile the lease lapses and a PBX retry
        // takes the call over and pushes.
        clock.current += 5_000;
        duplicate = await startIncomingCall(TENANT, REQUEST, deps);
      }
      return result;
    };
    const creator = await startIncomingCall(TENANT, REQUEST, deps);
    assert.deepEqual([creator.duplicate, duplicate?.duplicate], [false, true]);
    assert.equal(fcm.sent.length, 1, 'one push: the duplicate pushed, the creator did not');
    assert.equal(creator.pushed, 1);
  });

  it('drops tokens the provider declared dead and records every outcome', async () => {
    devices.put(TENANT, androidDevice());
    devices.put(TENANT, iosVoipDevice());
    apns.script(VOIP_TOKEN, { kind: 'dead_token', status: 410, reason: 'Unregistered' });

    const answer = await startIncomingCall(TENANT, REQUEST, deps);

    assert.equal(answer.pushed, 1);
    assert.equal(answer.devices, 2);
    assert.deepEqual(devices.dropped, [
      { tenant: TENANT, deviceId: 'iphone-15', token: VOIP_TOKEN },
    ]);
    assert.equal(
      devices.peek(TENANT, 'iphone-15'),
      undefined,
      'a device left without a token is gone',
    );
    const now = clock.now();
    const call = calls.peek(TENANT, callUuid(TENANT, REQUEST.call_id))!;
    assert.equal(call.pushed, 1);
    assert.deepEqual(call.deliveries, {
      'pixel-8': {
        platform: 'android',
        provider: 'fcm',
        kind: 'data',
        status: 'accepted',
        attempts: 1,
        providerStatus: 200,
        pushedAt: now,
        settledAt: now,
      },
      'iphone-15': {
        platform: 'ios',
        provider: 'apns',
        kind: 'voip',
        status: 'dead_token',
        attempts: 1,
        providerStatus: 410,
        reason: 'Unregistered',
        pushedAt: now,
        settledAt: now,
      },
    });
  });

  it('counts only accepted pushes, after retries', async () => {
    devices.put(TENANT, androidDevice());
    devices.put(TENANT, androidDevice({ deviceId: 'flaky', fcmToken: 'flaky-token' }));
    devices.put(TENANT, androidDevice({ deviceId: 'broken', fcmToken: 'broken-token' }));
    fcm.script(
      'flaky-token',
      { kind: 'failed', retryable: true, status: 503, reason: 'UNAVAILABLE' },
      {
        kind: 'accepted',
        status: 200,
      },
    );
    fcm.script('broken-token', {
      kind: 'failed',
      retryable: false,
      status: 400,
      reason: 'INVALID_ARGUMENT',
    });

    const answer = await startIncomingCall(TENANT, REQUEST, deps);

    assert.equal(answer.pushed, 2);
    const { deliveries, pushed } = calls.peek(TENANT, callUuid(TENANT, REQUEST.call_id))!;
    assert.equal(pushed, 2);
    assert.equal(deliveries.flaky!.attempts, 2);
    assert.equal(deliveries.broken!.status, 'failed');
    assert.deepEqual(devices.dropped, []);
  });

  it('bounds pushes by the send budget when the ring time is longer', async () => {
    devices.put(TENANT, androidDevice());
    const now = clock.now();
    await startIncomingCall(TENANT, { ...REQUEST, ring_timeout: 30 }, deps);
    assert.equal(fcm.sent[0]!.deadline, now + 8_000);
  });

  it('bounds pushes by the ring time when it is shorter than the send budget', async () => {
    devices.put(TENANT, androidDevice());
    const now = clock.now();
    await startIncomingCall(TENANT, { ...REQUEST, ring_timeout: 5 }, deps);
    assert.equal(fcm.sent[0]!.deadline, now + 5_000);
  });

  it('leaves devices without a usable token out of the pushes', async () => {
    const tokenless = androidDevice({ deviceId: 'tokenless' });
    delete tokenless.fcmToken;
    devices.put(TENANT, tokenless);
    devices.put(TENANT, iosVoipDevice());
    const answer = await startIncomingCall(TENANT, REQUEST, deps);
    assert.equal(answer.devices, 2);
    assert.equal(answer.pushed, 1);
    assert.deepEqual(Object.keys(calls.created[0]!.deliveries), ['iphone-15']);
    assert.equal(fcm.sent.length, 0);
  });
});
