import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { createTenant, db, PROJECT_ID, storedCall } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';
import { startProviders } from '../support/providers';
import { SUITE_TIMEOUT_MS } from '../support/wait';

describe('outbox mode: pushes rendered and stored, not sent (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  it('stores each push exactly as it would be sent, with the token masked', async () => {
    const fakes = await startProviders();
    const tenant = await createTenant('outbox');
    const android = fcmToken();
    const iphone = voipToken();
    const put = (id: string, form: Record<string, string>) =>
      api('PUT', `/v1/extensions/1001/devices/${id}`, { key: tenant.key, form });
    await put('pixel', { platform: 'android', fcm_token: android });
    await put('iphone', {
      platform: 'ios',
      voip_token: iphone,
      app_id: 'com.example.sipPhone',
      apns_env: 'sandbox',
    });
    const id = callId();
    const reply = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001', from: '100' },
    });
    assert.equal(reply.fields.pushed, 2, reply.text);

    const uuid = callUuid(tenant.id, id);
    const docs = (await db().collection('pushOutbox').where('callUuid', '==', uuid).get()).docs.map(
      (d) => d.data(),
    );
    assert.equal(docs.length, 2);
    const serialized = JSON.stringify(docs);
    assert.ok(
      !serialized.includes(android) && !serialized.includes(iphone),
      'no full token is stored',
    );
    const fcm = docs.find((d) => d.provider === 'fcm')!;
    const apns = docs.find((d) => d.provider === 'apns')!;
    assert.equal(fcm.deviceId, 'pixel');
    assert.equal(fcm.callId, id);
    assert.equal(fcm.tenant, tenant.id);
    assert.equal(fcm.method, 'POST');
    assert.ok(
      (fcm.url as string).endsWith(`/v1/projects/${PROJECT_ID}/messages:send`),
      fcm.url as string,
    );
    assert.equal(fcm.token, `${android.slice(0, 4)}…${android.slice(-4)}`);
    const message = (fcm.body as { message: Record<string, Record<string, string>> }).message;
    assert.equal(message.token, fcm.token);
    assert.equal(message.android!.priority, 'high');
    assert.equal(message.data!.type, 'incoming_call');

    assert.equal(apns.deviceId, 'iphone');
    assert.equal(apns.apnsEnv, 'sandbox');
    assert.equal(
      apns.url,
      `${process.env.CALLWAKE_APNS_SANDBOX_ORIGIN!}/3/device/${apns.token as string}`,
    );
    assert.deepEqual(apns.headers, {
      'apns-push-type': 'voip',
      'apns-topic': 'com.example.sipPhone.voip',
      'apns-priority': '10',
      'apns-expiration': String(
        Math.floor(Number((apns.body as Record<string, string>).expires_at) / 1000),
      ),
      'apns-collapse-id': `call-${uuid}`,
    });
    // Nothing reached the providers.
    assert.equal(fakes.fcm.requestsFor(android).length, 0);
    assert.equal(fakes.apns.sandbox.requestsFor(iphone).length, 0);
    const stored = await storedCall(tenant.id, id);
    assert.equal(stored.deliveries.pixel!.status, 'accepted');
    // Stored, not sent: the timeline names no provider's HTTP status.
    const shown = await api('GET', `/v1/calls/${id}`, { key: tenant.key });
    const timeline = shown.fields.timeline as Record<string, unknown>[];
    assert.equal(timeline.length, 2);
    for (const entry of timeline) {
      assert.equal(entry.push_status, 'accepted');
      assert.equal('provider_status' in entry, false, JSON.stringify(entry));
    }
  });
});
