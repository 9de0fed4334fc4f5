import assert from 'node:assert/strict';
import { incomingCallPayload } from '../../../../functions/core/render/payload';
import { renderIncomingCall } from '../../../../functions/core/render/incomingPush';
import { TEST_ENDPOINTS } from '../../../support/fakes';
import {
  androidDevice,
  FCM_TOKEN,
  iosVoipDevice,
  NOW,
  ringingCall,
  VOIP_TOKEN,
  iosFcmDevice,
} from '../fixtures';
import { fcmPlan } from './fcmPlan';
import { INCOMING_CALL_KEYS } from '../../../support/payloadKeys';

describe('renderIncomingCall', () => {
  const call = ringingCall();
  const collapse = `call-${call.callUuid}`;

  it('renders Android as a high-priority FCM data-only message with the remaining TTL', () => {
    const now = NOW + 2_500; // 27.5 s left: FCM gets whole seconds, rounded down
    const plan = renderIncomingCall(call, androidDevice(), TEST_ENDPOINTS, now);
    assert.deepEqual(
      plan,
      fcmPlan('pixel-8', 'data', {
        data: incomingCallPayload(call),
        android: { priority: 'high', ttl: '27s', collapse_key: collapse },
      }),
    );
    const message = (plan.push.body as { message: Record<string, unknown> }).message;
    assert.equal('notification' in message, false, 'a notification would bypass the app');
    assert.equal('apns' in message, false);
  });

  it('gives FCM a TTL of 0s once the ring time is over, never a negative one', () => {
    const plan = renderIncomingCall(call, androidDevice(), TEST_ENDPOINTS, call.expiresAt + 5_000);
    const body = plan!.push.body as { message: { android: { ttl: string } } };
    assert.equal(body.message.android.ttl, '0s');
  });

  it('URL-encodes the project id in the FCM URL', () => {
    const endpoints = { ...TEST_ENDPOINTS, projectId: 'a b/c' };
    const plan = renderIncomingCall(call, androidDevice(), endpoints, NOW);
    assert.equal(plan!.push.url, 'https://fcm.test/v1/projects/a%20b%2Fc/messages:send');
  });

  it('renders iOS with a PushKit token as an APNs VoIP push', () => {
    const plan = renderIncomingCall(call, iosVoipDevice(), TEST_ENDPOINTS, NOW);
    assert.deepEqual(plan, {
      deviceId: 'iphone-15',
      kind: 'voip',
      push: {
        provider: 'apns',
        url: `https://apns.test/3/device/${VOIP_TOKEN}`,
        method: 'POST',
        headers: {
          'apns-push-type': 'voip',
          'apns-topic': 'com.example.phone.voip',
          'apns-priority': '10',
          'apns-expiration': String(Math.floor((NOW + 30_000) / 1000)),
          'apns-collapse-id': collapse,
        },
        token: VOIP_TOKEN,
        apnsEnv: 'production',
        body: { ...incomingCallPayload(call), aps: { 'call-id': call.sipCallId } },
      },
    });
  });

  it('sends sandbox tokens to the sandbox origin', () => {
    const plan = renderIncomingCall(
      call,
      iosVoipDevice({ apnsEnv: 'sandbox' }),
      TEST_ENDPOINTS,
      NOW,
    );
    assert.equal(plan!.push.url, `https://apns-sandbox.test/3/device/${VOIP_TOKEN}`);
    assert.equal(plan!.push.apnsEnv, 'sandbox');
  });

  it('floors apns-expiration to whole epoch seconds', () => {
    const plan = renderIncomingCall(
      ringingCall({ expiresAt: 1_700_000_030_999 }),
      iosVoipDevice(),
      TEST_ENDPOINTS,
      NOW,
    );
    assert.equal(plan!.push.headers['apns-expiration'], '1700000030');
  });

  it('keeps the collapse id within the 64 bytes APNs and FCM allow, even for a long call id', () => {
    const long = ringingCall({ callId: 'x'.repeat(256) });
    const plan = renderIncomingCall(long, iosVoipDevice(), TEST_ENDPOINTS, NOW);
    const id = plan!.push.headers['apns-collapse-id']!;
    assert.ok(Buffer.byteLength(id, 'utf8') <= 64, `${Buffer.byteLength(id)} bytes`);
    assert.equal(id, `call-${long.callUuid}`);
  });

  it('prefers PushKit over FCM on an iOS device that has both', () => {
    const plan = renderIncomingCall(
      call,
      iosVoipDevice({ fcmToken: FCM_TOKEN }),
      TEST_ENDPOINTS,
      NOW,
    );
    assert.equal(plan!.kind, 'voip');
    assert.equal(plan!.push.token, VOIP_TOKEN);
  });

  it('renders iOS with only an FCM token as an FCM message carrying an APNs alert', () => {
    const plan = renderIncomingCall(call, iosFcmDevice(), TEST_ENDPOINTS, NOW);
    assert.deepEqual(
      plan,
      fcmPlan('iphone-15', 'alert', {
        data: incomingCallPayload(call),
        apns: {
          headers: {
            'apns-push-type': 'alert',
            'apns-priority': '10',
            'apns-expiration': String(Math.floor((NOW + 30_000) / 1000)),
            'apns-collapse-id': collapse,
          },
          payload: {
            aps: {
              alert: { title: 'Incoming call', body: 'Zoë is calling' },
              sound: 'default',
              'interruption-level': 'time-sensitive',
              category: 'INCOMING_CALL',
            },
          },
        },
      }),
    );
  });

  it('falls back to FCM when a PushKit token has no app id to name the topic', () => {
    const plan = renderIncomingCall(
      call,
      iosVoipDevice({ appId: undefined, fcmToken: FCM_TOKEN }),
      TEST_ENDPOINTS,
      NOW,
    );
    assert.equal(plan!.kind, 'alert');
    assert.equal(plan!.push.token, FCM_TOKEN);
  });

  it('returns null for a device without a usable token', () => {
    const android = androidDevice();
    delete android.fcmToken;
    assert.equal(renderIncomingCall(call, android, TEST_ENDPOINTS, NOW), null);
    const voipWithoutApp = iosVoipDevice();
    delete voipWithoutApp.appId;
    assert.equal(renderIncomingCall(call, voipWithoutApp, TEST_ENDPOINTS, NOW), null);
    // An Android device never uses a PushKit token.
    assert.equal(
      renderIncomingCall(
        call,
        androidDevice({ fcmToken: undefined, voipToken: VOIP_TOKEN, appId: 'x' }),
        TEST_ENDPOINTS,
        NOW,
      ),
      null,
    );
  });

  it('puts the same string payload in the FCM data map and the APNs body', () => {
    const fcm = renderIncomingCall(call, androidDevice(), TEST_ENDPOINTS, NOW)!;
    const apns = renderIncomingCall(call, iosVoipDevice(), TEST_ENDPOINTS, NOW)!;
    const data = (fcm.push.body as { message: { data: Record<string, unknown> } }).message.data;
    assert.deepEqual(Object.keys(data).sort(), INCOMING_CALL_KEYS);
    const { aps, ...keys } = apns.push.body;
    assert.deepEqual(keys, data);
    for (const [key, value] of Object.entries(keys)) assert.equal(typeof value, 'string', key);
    // Beside them, the one key Linphone's iOS library reads: aps.call-id, the SIP Call-ID.
    assert.deepEqual(aps, { 'call-id': call.sipCallId });
  });

  it('keeps the largest VoIP body under APNs 5 KB limit for VoIP pushes', () => {
    // Every field at its longest: 256-character ids, 128 characters of 4-byte UTF-8 names
    // (or of quotes, which JSON doubles), a 64-character extension.
    const id = 'i'.repeat(256);
    for (const name of ['😀'.repeat(128), '"'.repeat(128)]) {
      const longest = ringingCall({
        callId: id,
        sipCallId: `${id.slice(0, 255)}s`,
        extension: 'e'.repeat(64),
        from: name,
        fromName: name,
        tenant: 't'.repeat(64),
      });
      const plan = renderIncomingCall(longest, iosVoipDevice(), TEST_ENDPOINTS, NOW)!;
      const bytes = Buffer.byteLength(JSON.stringify(plan.push.body), 'utf8');
      assert.ok(bytes < 5120, `${bytes} bytes`);
      assert.ok(bytes > 1500, `the test fills the fields (${bytes} bytes)`);
    }
  });
});
