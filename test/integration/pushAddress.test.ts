import assert from 'node:assert/strict';
import {
  createTenant,
  db,
  localConfig,
  tenantSnapshot,
  type TestTenant,
} from '../support/emulator';
import { api } from '../support/http';
import { voipToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/**
 * RFC 8599 push addresses on the emulator: the deployment's APNs team
 * (APNS_TEAM_ID, a param from .env.demo-callwake) and Firebase project number (FCM_SENDER_ID,
 * another) reach the function, and a refusal writes
 * nothing. The parsing itself is unit-tested (test/unit/core/devices/pushAddress).
 */
describe('RFC 8599 push addresses (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let tenant: TestTenant;
  const team = localConfig().APNS_TEAM_ID!;

  beforeEach(async () => {
    tenant = await createTenant('outbox');
  });

  // As Kamailio's http_client sends it: POST, a form, the hashcompat answer.
  const post = (ext: string, id: string, form: Record<string, string>) =>
    api('POST', `/v1/extensions/${ext}/devices/${id}`, {
      key: tenant.key,
      form,
      json_response: false,
    });

  it("registers Linphone's iOS and Android addresses, naming this deployment's team and number", async () => {
    const voip = voipToken().toUpperCase();
    const ios = await post('2001', 'sip-iphone', {
      pn_provider: 'apns.dev',
      pn_prid: `${voip}:voip&${voipToken()}:remote`,
      pn_param: `${team}.org.linphone.phone.voip&remote`,
    });
    assert.equal(ios.status, 201, ios.text);
    assert.equal(ios.fields.status, 'created');
    const android = await post('2001', 'sip-pixel', {
      pn_provider: 'fcm',
      pn_prid: 'cX9AbCdEfGh:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx',
      pn_param: '100000000001',
    });
    assert.equal(android.status, 201, android.text);

    const stored = await db().doc(`tenants/${tenant.id}/devices/sip-iphone`).get();
    assert.equal(stored.get('voipToken'), voip.toLowerCase());
    assert.equal(stored.get('appId'), 'org.linphone.phone');
    assert.equal(stored.get('apnsEnv'), 'sandbox');
    const pixel = await db().doc(`tenants/${tenant.id}/devices/sip-pixel`).get();
    assert.equal(pixel.get('platform'), 'android');

    const gone = await api('POST', '/v1/extensions/2001/devices/sip-pixel/unregister', {
      key: tenant.key,
      form: { expires: '0' },
    });
    assert.equal(gone.status, 200, gone.text);
    assert.equal((await db().doc(`tenants/${tenant.id}/devices/sip-pixel`).get()).exists, false);
  });

  it('refuses hms, webpush into a private network, another team and another project with a 400 naming pn_*, writing nothing', async () => {
    const before = await tenantSnapshot(tenant.id);
    const cases: [Record<string, string>, string, string][] = [
      [
        { pn_provider: 'hms', pn_prid: 'token-1234567890', pn_param: 'x' },
        'unsupported_provider',
        'pn_provider',
      ],
      [
        { pn_provider: 'webpush', pn_prid: 'https://10.0.0.7/wpush/s1' },
        'invalid_argument',
        'pn_prid',
      ],
      [
        { pn_provider: 'apns', pn_prid: voipToken(), pn_param: 'ZZZZZ99999.org.example.voip' },
        'invalid_argument',
        'pn_param',
      ],
      [
        { pn_provider: 'fcm', pn_prid: 'cX9AbCdEfGh:APA91bHun4', pn_param: '999999999999' },
        'invalid_argument',
        'pn_param',
      ],
    ];
    for (const [form, error, field] of cases) {
      const reply = await post('2001', 'sip-refused', form);
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.fields.error, error);
      assert.ok(`details.${field}` in reply.fields, reply.text);
    }
    assert.equal(await tenantSnapshot(tenant.id), before);
  });
});
