import assert from 'node:assert/strict';
import { createTenant, db } from '../support/emulator';
import { api } from '../support/http';
import { callId, voipToken } from '../support/ids';
import { startProviders } from '../support/providers';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('APNs environments (emulator, fake APNs)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  it('a development build registered as production keeps its token and rings through sandbox', async () => {
    const fakes = await startProviders();
    const tenant = await createTenant('live');
    const token = voipToken();
    // A development build's token: sandbox issued it, production answers BadDeviceToken.
    fakes.apns.sandbox.register(token);
    // apns_env left out: the device starts at production, as most apps register.
    const registered = await api('PUT', '/v1/extensions/1001/devices/iphone-dev', {
      key: tenant.key,
      form: { platform: 'ios', voip_token: token, app_id: 'com.example.sipPhone' },
    });
    assert.equal(registered.status, 201, registered.text);

    const first = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: callId(), to: '1001' },
    });
    assert.equal(first.fields.pushed, 1, first.text);
    assert.equal(fakes.apns.production.pushesFor(token)[0]?.reason, 'BadDeviceToken');
    assert.equal(fakes.apns.sandbox.pushesFor(token)[0]?.status, 200);
    const device = (await db().doc(`tenants/${tenant.id}/devices/iphone-dev`).get()).data();
    assert.equal(device?.voipToken, token, 'the token is kept');
    assert.equal(device.apnsEnv, 'sandbox', 'its environment corrected');

    // The next call goes to sandbox at once.
    const second = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: callId(), to: '1001' },
    });
    assert.equal(second.fields.pushed, 1, second.text);
    assert.equal(fakes.apns.production.pushesFor(token).length, 1);
    assert.equal(fakes.apns.sandbox.pushesFor(token).length, 2);
  });
});
