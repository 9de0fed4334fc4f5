import assert from 'node:assert/strict';
import {
  holdsToken,
  tokensOf,
  withoutTokens,
} from '../../../../functions/core/devices/deviceTokens';
import {
  androidDevice,
  browserDevice,
  huaweiDevice,
  iosVoipDevice,
  WEB_ENDPOINT,
} from '../fixtures';

describe('the push tokens a device holds, every kind alike', () => {
  it('lists each kind with the field path a store finds it by', () => {
    assert.deepEqual(
      tokensOf({ ...iosVoipDevice(), fcmToken: 'f' }).map((t) => [t.kind, t.path]),
      [
        ['fcm', 'fcmToken'],
        ['voip', 'voipToken'],
      ],
    );
    assert.deepEqual(tokensOf(browserDevice()), [
      { kind: 'webpush', path: 'webPush.endpoint', token: WEB_ENDPOINT },
    ]);
    assert.deepEqual(
      tokensOf(huaweiDevice()).map((t) => t.kind),
      ['hms'],
    );
  });

  it('drops a token with what belongs to it, and the device with its last token', () => {
    const both = { ...iosVoipDevice(), fcmToken: 'f' };
    assert.deepEqual(withoutTokens(both, new Set(['f'])), iosVoipDevice());
    assert.equal(withoutTokens(androidDevice(), new Set([androidDevice().fcmToken!])), null);
    assert.equal(withoutTokens(browserDevice(), new Set([WEB_ENDPOINT])), null);
    const tab = browserDevice();
    assert.deepEqual(withoutTokens(tab, new Set(['other'])), tab);
    assert.ok(holdsToken(tab, WEB_ENDPOINT));
    assert.ok(!holdsToken(tab, tab.webPush!.auth!), 'a key is not a token');
    assert.ok(holdsToken(both, 'f'), 'either of an iPhone’s two tokens');
    assert.ok(holdsToken(both, iosVoipDevice().voipToken!));
  });
});
