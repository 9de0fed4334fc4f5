import assert from 'node:assert/strict';
import { applyAnswer, applyPbxCancel } from '../../../../functions/core/call/callState';
import { sendCancels } from '../../../../functions/core/cancel/sendCancels';
import { callUuid } from '../../../../functions/core/call/callUuid';
import { AppError } from '../../../../functions/core/errors';
import { startIncomingCall } from '../../../../functions/core/ring/incomingCall';
import type { Call } from '../../../../functions/core/model';
import type { CallStore, DeviceStore } from '../../../../functions/core/ports';
import type { PushSender, RenderedPush, SendResult } from '../../../../functions/core/send/push';
import type { IncomingCallRequest } from '../../../../functions/core/schemas';
import { onAnswerWritten } from '../../../../functions/triggers/onAnswerWritten';
import { onCallWritten } from '../../../../functions/triggers/onCallWritten';
import { onReceiptWritten } from '../../../../functions/triggers/onReceiptWritten';
import {
  deferred,
  FakeSender,
  settle,
  TEST_ENDPOINTS,
  UNUSED_SENDER,
} from '../../../support/fakes';
import { androidDevice, FCM_TOKEN, iosVoipDevice, NOW, ringingCall, VOIP_TOKEN } from '../fixtures';
import { cancelDeps, ringPorts } from '../ringDeps';

/**
 * One test per way the ring and answer paths can fail part way (a store deadline, a
 * dead instance, a retry racing a cancel, a late answer, a wrong APNs environment), each
 * written against the core's entry points (startIncomingCall, sendCancels, applyAnswer).
 */

const TENANT = 'acme';
const REQUEST: IncomingCallRequest = { call_id: 'pbx-42', to: '100', ring_timeout: 30 };
const UUID = callUuid(TENANT, REQUEST.call_id);
const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };

interface FcmBody {
  message: { data: Record<string, string>; android?: Record<string, string> };
}
const fcmMessage = (push: RenderedPush) => (push.body as unknown as FcmBody).message;
/** What firebase-functions puts in the deploy manifest for a v2 Firestore trigger. */
interface Endpoint {
  eventTrigger: { retry: boolean; eventFilterPathPatterns: { document: string } };
}

function setup(sendMs = 0) {
  const s = ringPorts({ sendMs });
  return { ...s, cancelDeps: cancelDeps(s.deps, 15_000) };
}

const cancelsTo = (sender: FakeSender, token: string) =>
  sender.sentTo(token).filter((s) => fcmMessage(s.push).data.type === 'call_cancelled');
const incomingTo = (sender: FakeSender, token: string) =>
  sender.sentTo(token).filter((s) => fcmMessage(s.push).data.type === 'incoming_call');

describe('the ring and answer paths under partial failure', () => {
  it('a create that lands after its store deadline is rung by the PBX retry', async () => {
    const s = setup();
    s.devices.put(TENANT, androidDevice());
    s.devices.put(TENANT, iosVoipDevice());
    // The write commits, but the request's deadline passed first: the PBX got 503.
    let slow = true;
    const calls: CallStore = Object.assign(Object.create(s.calls) as CallStore, {
      createOnce: async (call: Call) => {
        const created = await s.calls.createOnce(call);
        if (slow) {
          slow = false;
          throw new AppError('unavailable', 'The database did not answer in time.');
        }
        return created;
      },
    });
    await assert.rejects(startIncomingCall(TENANT, REQUEST, { ...s.deps, calls }));
    assert.equal(s.fcm.sent.length + s.apns.sent.length, 0);

    const retry = await startIncomingCall(TENANT, REQUEST, { ...s.deps, calls });
    assert.equal(retry.pushed, 2, 'the retry pushed every device');
    const android = s.fcm.sentTo(FCM_TOKEN)[0]!.push;
    const iphone = s.apns.sentTo(VOIP_TOKEN)[0]!.push;
    assert.equal(fcmMessage(android).data.call_uuid, UUID);
    assert.equal(fcmMessage(android).android?.collapse_key, `call-${UUID}`);
    assert.equal(iphone.headers['apns-collapse-id'], `call-${UUID}`);
    const stored = await s.calls.get(TENANT, UUID);
    assert.deepEqual(
      Object.values(stored!.deliveries).map((d) => d.status),
      ['accepted', 'accepted'],
    );
  });

  it('a dropToken that throws loses neither the other outcomes nor the answer', async () => {
    const s = setup();
    s.devices.put(TENANT, androidDevice());
    s.devices.put(TENANT, androidDevice({ deviceId: 'old-phone', fcmToken: 'dead-token' }));
    s.fcm.script('dead-token', { kind: 'dead_token', status: 404, reason: 'UNREGISTERED' });
    const devices: DeviceStore = Object.assign(Object.create(s.devices) as DeviceStore, {
      dropToken: () => Promise.reject(new AppError('unavailable', 'store outage')),
    });
    const answer = await startIncomingCall(TENANT, REQUEST, { ...s.deps, devices });
    assert.equal(answer.pushed, 1);
    const stored = await s.calls.get(TENANT, UUID);
    assert.equal(stored?.deliveries['pixel-8']?.status, 'accepted');
    assert.equal(stored.deliveries['old-phone']?.status, 'dead_token');
  });

  it('every trigger is deployed with retries, so an event whose run failed is redelivered', () => {
    for (const trigger of [onAnswerWritten, onCallWritten, onReceiptWritten]) {
      const { eventTrigger } = (trigger as unknown as { __endpoint: Endpoint }).__endpoint;
      assert.equal(eventTrigger.retry, true, eventTrigger.eventFilterPathPatterns.document);
    }
  });

  it('a retry after the call was cancelled is not sent', async () => {
    const s = setup();
    s.devices.put(TENANT, androidDevice());
    const busy = deferred<SendResult>();
    s.fcm.script(FCM_TOKEN, busy, ACCEPTED);
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    // The caller hangs up while the first attempt is answered 503.
    await s.calls.transition(TENANT, UUID, (c) => applyPbxCancel(c, 'hangup', s.clock.now()));
    busy.resolve({ kind: 'failed', retryable: true, status: 503, reason: 'UNAVAILABLE' });
    await ringing;
    assert.equal(incomingTo(s.fcm, FCM_TOKEN).length, 1, 'no incoming push after the cancel');
  });

  it('a retry carries the Android TTL left at its own time', async () => {
    const s = setup(1_500);
    s.devices.put(TENANT, androidDevice());
    s.fcm.script(
      FCM_TOKEN,
      { kind: 'failed', retryable: true, status: 503, reason: 'x' },
      ACCEPTED,
    );
    await startIncomingCall(TENANT, REQUEST, s.deps);
    const [first, second] = incomingTo(s.fcm, FCM_TOKEN).map((p) => fcmMessage(p.push).android);
    assert.equal(first?.ttl, '30s');
    assert.ok(second && second.ttl !== first.ttl, `a fresh TTL: ${second?.ttl}`);
  });

  it('a send that timed out on our side is cancelled like one that rang', async () => {
    const s = setup();
    s.devices.put(TENANT, androidDevice());
    s.fcm.script(FCM_TOKEN, { kind: 'failed', retryable: false, reason: 'timeout' });
    await startIncomingCall(TENANT, REQUEST, s.deps);
    await s.calls.transition(TENANT, UUID, (c) => applyPbxCancel(c, 'hangup', s.clock.now()));
    await sendCancels(TENANT, UUID, s.cancelDeps);
    assert.equal(cancelsTo(s.fcm, FCM_TOKEN).length, 1);
  });

  it('an incoming push that settles after the cancel went out gets another cancel', async () => {
    const s = setup();
    s.devices.put(TENANT, androidDevice());
    const late = deferred<SendResult>();
    s.fcm.script(FCM_TOKEN, late, ACCEPTED);
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    await s.calls.transition(TENANT, UUID, (c) => applyPbxCancel(c, 'hangup', s.clock.now()));
    await sendCancels(TENANT, UUID, s.cancelDeps);
    assert.equal(cancelsTo(s.fcm, FCM_TOKEN).length, 1);
    // FCM accepts the incoming push after it took the cancel: under the same collapse key it
    // would replace it. The record of that late push asks for a follow-up cancel.
    late.resolve(ACCEPTED);
    await ringing;
    s.clock.current += 5_000;
    await sendCancels(TENANT, UUID, s.cancelDeps);
    const sent = s.fcm.sentTo(FCM_TOKEN).map((p) => fcmMessage(p.push).data.type);
    assert.deepEqual(sent, ['incoming_call', 'call_cancelled', 'call_cancelled']);
  });

  it('an answer settled after the ring deadline is late', () => {
    const call = ringingCall({ expiresAt: NOW + 30_000 });
    const answer = { action: 'accept' as const, deviceId: 'pixel-8', uid: 'u', answeredAt: NOW };
    assert.equal(applyAnswer(call, answer, NOW + 30_000).outcome, 'late');
    assert.equal(applyAnswer(call, answer, NOW + 29_999).outcome, 'won');
  });

  it('a sandbox PushKit token registered as production keeps ringing', async () => {
    const s = setup();
    s.devices.put(TENANT, iosVoipDevice({ apnsEnv: 'production' }));
    const tried: string[] = [];
    // Apple's answer: a sandbox token is a bad device token at production.
    const apns: PushSender = {
      send: (push) => {
        tried.push(push.apnsEnv ?? '?');
        return Promise.resolve(
          push.url.startsWith(TEST_ENDPOINTS.apnsOrigins.sandbox)
            ? ACCEPTED
            : { kind: 'dead_token', status: 400, reason: 'BadDeviceToken' },
        );
      },
    };
    const answer = await startIncomingCall(TENANT, REQUEST, {
      ...s.deps,
      senders: { fcm: s.fcm, apns, webpush: UNUSED_SENDER, hms: UNUSED_SENDER },
    });
    assert.deepEqual(tried, ['production', 'sandbox']);
    assert.equal(answer.pushed, 1);
    const device = s.devices.peek(TENANT, 'iphone-15');
    assert.equal(device?.voipToken, VOIP_TOKEN, 'the token is kept');
    assert.equal(device.apnsEnv, 'sandbox', "the device's environment is corrected");
  });
});
