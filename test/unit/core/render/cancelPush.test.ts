import assert from 'node:assert/strict';
import {
  CALL_END_REASONS,
  type Device,
  type EndReason,
  type Platform,
} from '../../../../functions/core/model';
import { callCancelledPayload } from '../../../../functions/core/render/payload';
import { renderCancel } from '../../../../functions/core/render/cancelPush';
import { TEST_ENDPOINTS } from '../../../support/fakes';
import {
  androidDevice,
  anonymousCall,
  FCM_TOKEN,
  iosVoipDevice,
  payloadCallFields,
  ringingCall,
  VOIP_TOKEN,
  iosFcmDevice,
} from '../fixtures';
import { FCM_URL, fcmPlan } from './fcmPlan';

const MISSED_REASONS: EndReason[] = ['hangup', 'timeout'];
const SILENT_REASONS: EndReason[] = ['answered_elsewhere', 'declined', 'busy', 'other'];
const REASONS: EndReason[] = [...MISSED_REASONS, ...SILENT_REASONS];

interface FcmMessage {
  token: string;
  data: Record<string, string>;
  android?: Record<string, unknown>;
  apns?: { headers: Record<string, string>; payload: { aps: Record<string, unknown> } };
  notification?: unknown;
}

const messageOf = (body: Record<string, unknown>) => (body as { message: FcmMessage }).message;

/** The apns-expiration a push rendered between `before` and `after` may carry. */
function expirationWindow(before: number, after: number): [number, number] {
  return [Math.floor(before / 1000) + 60, Math.floor(after / 1000) + 60];
}

describe('renderCancel', () => {
  const call = ringingCall();
  const collapse = `call-${call.callUuid}`;

  it('renders Android as a high-priority FCM data-only message under the call collapse key', () => {
    const plan = renderCancel(
      call,
      androidDevice(),
      'answered_elsewhere',
      TEST_ENDPOINTS,
      Date.now(),
    );
    assert.deepEqual(
      plan,
      fcmPlan('pixel-8', 'data', {
        data: {
          type: 'call_cancelled',
          ...payloadCallFields(call),
          reason: 'answered_elsewhere',
        },
        android: { priority: 'high', ttl: '60s', collapse_key: collapse },
      }),
    );
    const message = messageOf(plan.push.body);
    assert.equal('notification' in message, false, 'a notification would show, not stop ringing');
    assert.equal('apns' in message, false);
  });

  it('sorts every reason a call ends for, but its answer, as missed or silent', () => {
    const ends = CALL_END_REASONS.filter((reason) => reason !== 'answered');
    assert.deepEqual([...REASONS].sort(), [...ends].sort());
  });

  for (const reason of REASONS) {
    it(`gives Android the same data-only shape for reason ${reason}`, () => {
      const plan = renderCancel(call, androidDevice(), reason, TEST_ENDPOINTS, Date.now());
      const message = messageOf(plan!.push.body);
      assert.equal(plan!.kind, 'data');
      assert.deepEqual(message.data, callCancelledPayload(call, reason));
      assert.equal(message.data.reason, reason);
      assert.deepEqual(message.android, { priority: 'high', ttl: '60s', collapse_key: collapse });
    });
  }

  for (const reason of MISSED_REASONS) {
    it(`tells iOS about a missed call with an alert for reason ${reason}`, () => {
      const before = Date.now();
      const plan = renderCancel(call, iosFcmDevice(), reason, TEST_ENDPOINTS, Date.now());
      const after = Date.now();
      assert.ok(plan);
      const message = messageOf(plan.push.body);
      const [earliest, latest] = expirationWindow(before, after);
      const expiration = Number(message.apns?.headers['apns-expiration']);
      assert.ok(expiration >= earliest && expiration <= latest, `expiration ${expiration}`);
      assert.deepEqual(
        plan,
        fcmPlan('iphone-15', 'alert', {
          data: callCancelledPayload(call, reason),
          apns: {
            headers: {
              'apns-push-type': 'alert',
              'apns-priority': '10',
              'apns-expiration': String(expiration),
              'apns-collapse-id': collapse,
            },
            payload: {
              aps: {
                alert: { title: 'Missed call', body: 'Missed call from Zoë' },
                sound: 'default',
                category: 'MISSED_CALL',
              },
            },
          },
        }),
      );
    });
  }

  it('names an anonymous caller "Unknown" in the missed-call alert', () => {
    const anonymous = anonymousCall();
    const plan = renderCancel(anonymous, iosFcmDevice(), 'hangup', TEST_ENDPOINTS, Date.now());
    const aps = messageOf(plan!.push.body).apns?.payload.aps;
    assert.deepEqual(aps?.alert, { title: 'Missed call', body: 'Missed call from Unknown' });
  });

  for (const reason of SILENT_REASONS) {
    it(`ends the iOS call silently with a background push for reason ${reason}`, () => {
      const before = Date.now();
      const plan = renderCancel(call, iosFcmDevice(), reason, TEST_ENDPOINTS, Date.now());
      const after = Date.now();
      assert.ok(plan);
      assert.equal(plan.kind, 'background');
      assert.equal(plan.push.provider, 'fcm');
      const message = messageOf(plan.push.body);
      const [earliest, latest] = expirationWindow(before, after);
      const expiration = Number(message.apns?.headers['apns-expiration']);
      assert.ok(expiration >= earliest && expiration <= latest, `expiration ${expiration}`);
      assert.deepEqual(message, {
        token: FCM_TOKEN,
        data: callCancelledPayload(call, reason),
        apns: {
          headers: {
            'apns-push-type': 'background',
            'apns-priority': '5',
            'apns-expiration': String(expiration),
          },
          payload: { aps: { 'content-available': 1 } },
        },
      });
    });
  }

  it('uses the FCM token of an iOS device that also has a PushKit token', () => {
    const device = iosVoipDevice({ fcmToken: FCM_TOKEN });
    const plan = renderCancel(call, device, 'answered_elsewhere', TEST_ENDPOINTS, Date.now());
    assert.equal(plan?.push.token, FCM_TOKEN);
    assert.equal(plan.push.url, FCM_URL);
  });

  it('renders nothing for an iOS device with only a PushKit token', () => {
    for (const reason of REASONS) {
      assert.equal(
        renderCancel(call, iosVoipDevice(), reason, TEST_ENDPOINTS, Date.now()),
        null,
        reason,
      );
    }
  });

  it('never renders a VoIP push or an APNs push, whatever the reason, platform and tokens', () => {
    const tokenSets: Pick<Device, 'fcmToken' | 'voipToken'>[] = [
      { fcmToken: FCM_TOKEN },
      { voipToken: VOIP_TOKEN },
      { fcmToken: FCM_TOKEN, voipToken: VOIP_TOKEN },
      {},
    ];
    const platforms: Platform[] = ['android', 'ios'];
    let rendered = 0;
    for (const reason of REASONS) {
      for (const platform of platforms) {
        for (const tokens of tokenSets) {
          for (const apnsEnv of ['production', 'sandbox'] as const) {
            const device: Device = {
              deviceId: 'd1',
              extension: '100',
              platform,
              apnsEnv,
              appId: 'com.example.phone',
              lastSeenAt: 0,
              ...tokens,
            };
            const label = `${reason} ${platform} ${JSON.stringify(Object.keys(tokens))} ${apnsEnv}`;
            const plan = renderCancel(call, device, reason, TEST_ENDPOINTS, Date.now());
            if (!tokens.fcmToken) {
              assert.equal(plan, null, label);
              continue;
            }
            rendered += 1;
            assert.ok(plan, label);
            assert.equal(plan.push.provider, 'fcm', label);
            assert.equal(plan.push.url, FCM_URL, label);
            assert.equal(plan.push.token, FCM_TOKEN, label);
            assert.equal(plan.push.apnsEnv, undefined, label);
            assert.notEqual(plan.kind, 'voip', label);
            const text = JSON.stringify(plan);
            assert.equal(text.includes('voip'), false, label);
            assert.equal(text.includes(VOIP_TOKEN), false, label);
            assert.equal(messageOf(plan.push.body).data.type, 'call_cancelled', label);
          }
        }
      }
    }
    assert.equal(rendered, REASONS.length * 2 * 2 * 2);
  });
});
