import assert from 'node:assert/strict';
import {
  callCancelledPayload,
  incomingCallPayload,
} from '../../../../functions/core/render/payload';
import { hmsCollapseKey, webPushTopic } from '../../../../functions/core/render/pushEnvelopes';
import { renderIncomingCall } from '../../../../functions/core/render/incomingPush';
import { renderCancel } from '../../../../functions/core/render/cancelPush';
import { TEST_ENDPOINTS } from '../../../support/fakes';
import {
  browserDevice,
  HMS_TOKEN,
  huaweiDevice,
  NOW,
  ringingCall,
  WEB_AUTH,
  WEB_ENDPOINT,
  WEB_P256DH,
} from '../fixtures';

describe('rendering Web Push and HMS pushes', () => {
  const call = ringingCall();
  const topic = call.callUuid.replace(/-/g, '');

  it('a browser: a Web Push of the seeds’ keys to its endpoint, TTL the ring time left, urgency high, the call’s Topic', () => {
    const plan = renderIncomingCall(call, browserDevice(), TEST_ENDPOINTS, NOW + 2_500);
    assert.deepEqual(plan, {
      deviceId: 'chrome-tab',
      kind: 'data',
      push: {
        provider: 'webpush',
        url: WEB_ENDPOINT,
        method: 'POST',
        headers: { TTL: '27', Urgency: 'high', Topic: topic },
        token: WEB_ENDPOINT,
        body: incomingCallPayload(call),
        webPushKeys: { p256dh: WEB_P256DH, auth: WEB_AUTH },
      },
    });
    assert.equal(webPushTopic(call), topic);
    assert.match(topic, /^[0-9a-f]{32}$/, 'RFC 8030 §5.4: at most 32 base64url characters');
  });

  it('a browser with no keys (RFC 8599): a push with no payload, kind wake, and no cancel', () => {
    const device = browserDevice({ webPush: { endpoint: WEB_ENDPOINT } });
    const plan = renderIncomingCall(call, device, TEST_ENDPOINTS, NOW);
    assert.ok(plan);
    assert.equal(plan.kind, 'wake');
    assert.deepEqual(plan.push.body, {});
    assert.equal(plan.push.webPushKeys, undefined);
    assert.equal(renderCancel(call, device, 'hangup', TEST_ENDPOINTS, NOW), null);
  });

  it('a Web Push TTL of 0 once the ring time is over, never negative', () => {
    const plan = renderIncomingCall(call, browserDevice(), TEST_ENDPOINTS, call.expiresAt + 5_000);
    assert.equal(plan?.push.headers.TTL, '0');
  });

  it('a browser’s cancel: the cancel keys under the same Topic, urgent, for a minute', () => {
    const plan = renderCancel(call, browserDevice(), 'hangup', TEST_ENDPOINTS, NOW + 9_000);
    assert.ok(plan);
    assert.deepEqual(plan.push.headers, { TTL: '60', Urgency: 'high', Topic: topic });
    assert.deepEqual(plan.push.body, callCancelledPayload(call, 'hangup'));
    assert.equal(plan.push.provider, 'webpush');
  });

  it('a Huawei phone: an HMS data message with the seeds’ keys, urgency HIGH, category VOIP, the ring time as TTL, the call’s collapse group', () => {
    const plan = renderIncomingCall(call, huaweiDevice(), TEST_ENDPOINTS, NOW + 2_500);
    const collapse = hmsCollapseKey(call);
    assert.ok(Number.isInteger(collapse) && collapse >= 1 && collapse <= 100, String(collapse));
    assert.deepEqual(plan, {
      deviceId: 'mate-60',
      kind: 'data',
      push: {
        provider: 'hms',
        url: 'https://hms.test/v1/101234567/messages:send',
        method: 'POST',
        headers: {},
        token: HMS_TOKEN,
        body: {
          validate_only: false,
          message: {
            data: JSON.stringify(incomingCallPayload(call)),
            android: { urgency: 'HIGH', category: 'VOIP', ttl: '27s', collapse_key: collapse },
            token: [HMS_TOKEN],
          },
        },
      },
    });
  });

  it('an HMS TTL of at least one second: Huawei refuses one that has run out', () => {
    const plan = renderIncomingCall(call, huaweiDevice(), TEST_ENDPOINTS, call.expiresAt + 1);
    const { message } = plan?.push.body as { message: { android: { ttl: string } } };
    assert.equal(message.android.ttl, '1s');
  });

  it('a Huawei phone’s cancel: the same collapse group, so a cached incoming call is replaced', () => {
    const plan = renderCancel(call, huaweiDevice(), 'answered_elsewhere', TEST_ENDPOINTS, NOW);
    const { message } = plan?.push.body as {
      message: { data: string; android: Record<string, unknown> };
    };
    assert.deepEqual(JSON.parse(message.data), callCancelledPayload(call, 'answered_elsewhere'));
    assert.equal(message.android.collapse_key, hmsCollapseKey(call));
    assert.equal(message.android.ttl, '60s');
  });

  it('different calls fall in collapse groups spread over 1-100', () => {
    const groups = new Set(
      Array.from({ length: 300 }, (_, i) => hmsCollapseKey(ringingCall({ callId: `c-${i}` }))),
    );
    assert.ok(groups.size > 80, `${groups.size} groups`);
    assert.ok([...groups].every((g) => g >= 1 && g <= 100));
  });
});
