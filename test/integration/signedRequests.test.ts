import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { canonicalRequest, signRequest } from '../../functions/core/access/pbxSignature';
import { signingKeyId, signingSecretFor } from '../../functions/core/access/pbxSignature';
import { BASE_URL, createTenant, db, PROJECT_ID, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { signedAuthorization } from '../support/signing';

/** A request exactly as a PBX puts it on the wire, sent with fetch. */
async function send(
  method: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: res.status, text: await res.text() };
}

/** A form body signed at its end, as the Asterisk include signs it (NMAC-SHA1). */
function signedBody(
  tenant: TestTenant,
  method: string,
  path: string,
  body: string,
  ts = Math.floor(Date.now() / 1000),
): string {
  const nonce = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
  const sig = signRequest(
    tenant.signingSecret,
    'sha1',
    canonicalRequest(method, path, { ts, nonce }, body),
  );
  return `${body}&cw_key=${tenant.signingKeyId}&cw_auth=v1.sha1.${ts}.${nonce}.${sig}`;
}

describe('signed PBX requests (emulator)', function () {
  this.timeout(60_000);
  let tenant: TestTenant;

  beforeEach(async () => {
    tenant = await createTenant('outbox');
  });

  it('takes a Kamailio-style signature (HTTP Basic, NMAC-SHA256) once; its replay and its move to another request are refused', async () => {
    const path = '/v1/extensions/1001/devices/sip-phone';
    const body = `pn_provider=fcm&pn_prid=${fcmToken()}&pn_param=${PROJECT_ID}`;
    const auth = signedAuthorization(tenant, 'POST', path, body, { alg: 'sha256' });
    const first = await send('POST', path, body, { Authorization: auth });
    assert.equal(first.status, 201, first.text);
    const replay = await send('POST', path, body, { Authorization: auth });
    assert.equal(replay.status, 401, replay.text);
    assert.match(replay.text, /sent%20before|sent before/);
    const moved = await send('POST', '/v1/extensions/1001/devices/other', body, {
      Authorization: auth,
    });
    assert.equal(moved.status, 401, moved.text);
    // One digit of a fresh signature changed: refused, as is a right one over another body.
    const fresh = Buffer.from(
      signedAuthorization(tenant, 'POST', path, body, { alg: 'sha256' }).slice('Basic '.length),
      'base64',
    ).toString();
    const flipped = fresh.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const tampered = await send('POST', path, body, {
      Authorization: `Basic ${Buffer.from(flipped).toString('base64')}`,
    });
    assert.equal(tampered.status, 401, tampered.text);
    const otherBody = await send('POST', path, `${body}&platform=ios`, {
      Authorization: signedAuthorization(tenant, 'POST', path, body, { alg: 'sha256' }),
    });
    assert.equal(otherBody.status, 401, otherBody.text);
  });

  it('takes an Asterisk-style signature at the end of the body (NMAC-SHA1): ring, long-poll, cancel, each once', async () => {
    const id = callId();
    const device = await api('PUT', '/v1/extensions/1001/devices/desk', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(device.status, 201);
    const post = signedBody(tenant, 'POST', '/v1/calls', `call_id=${id}&to=1001&ring_timeout=30`);
    const rang = await send('POST', '/v1/calls', post);
    assert.equal(rang.status, 201, rang.text);
    assert.match(rang.text, /status=ringing/);
    assert.equal((await send('POST', '/v1/calls', post)).status, 401, 'replayed');
    const waitPath = `/v1/calls/${id}/wait`;
    const waited = await send('POST', waitPath, signedBody(tenant, 'POST', waitPath, 'wait=1'));
    assert.equal(waited.status, 200, waited.text);
    assert.match(waited.text, /status=ringing/);
    const cancelPath = `/v1/calls/${id}/cancel`;
    const cancelled = await send(
      'POST',
      cancelPath,
      signedBody(tenant, 'POST', cancelPath, 'reason=hangup'),
    );
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.match(cancelled.text, /cancelled=true/);
  });

  it('refuses a signature from another clock (more than 2 minutes off), another tenant, or for an administrator route', async () => {
    const id = callId();
    const body = `call_id=${id}&to=1001`;
    const old = Math.floor(Date.now() / 1000) - 200;
    const stale = await send(
      'POST',
      '/v1/calls',
      signedBody(tenant, 'POST', '/v1/calls', body, old),
    );
    assert.equal(stale.status, 401);
    assert.match(decodeURIComponent(stale.text), /check the PBX's clock/);
    const other = await createTenant('outbox');
    const mixed = signedBody(other, 'POST', '/v1/calls', body).replace(
      other.signingKeyId,
      tenant.signingKeyId,
    );
    assert.equal((await send('POST', '/v1/calls', mixed)).status, 401, "another tenant's secret");
    for (const path of ['/v1/extensions/1001/members/uid-x', '/v1/extensions/1001/pairing-codes']) {
      const method = path.endsWith('codes') ? 'POST' : 'PUT';
      const refused = await send(method, path, signedBody(tenant, method, path, 'x=1'));
      assert.equal(refused.status, 401, `${path}: ${refused.text}`);
      assert.match(decodeURIComponent(refused.text), /takes the API key itself/);
    }
  });

  it("stops a key's signing secret with the key: a revoked key's signatures are refused", async () => {
    await db()
      .doc(`apiKeys/${createHash('sha256').update(tenant.key).digest('hex')}`)
      .update({
        revoked: true,
      });
    const refused = await send(
      'POST',
      '/v1/calls',
      signedBody(tenant, 'POST', '/v1/calls', `call_id=${callId()}&to=1001`),
    );
    assert.equal(refused.status, 401, refused.text);
  });

  it("learns the signing secret of a key made before signing, at the key's first use", async () => {
    // A tenant as an older version made it: the key's hash, nothing about signing.
    const id = `t-${randomBytes(6).toString('hex')}`;
    const key = `cwk_test_${randomBytes(18).toString('base64url')}`;
    await db().doc(`tenants/${id}`).set({ name: id, pushMode: 'outbox' });
    await db()
      .doc(`apiKeys/${createHash('sha256').update(key).digest('hex')}`)
      .set({ tenant: id, createdAt: Date.now() });
    const signingSecret = signingSecretFor(key);
    const legacy = { id, key, signingSecret, signingKeyId: signingKeyId(signingSecret) };
    const path = '/v1/extensions/1001/devices';
    const before = await send('GET', path, '', {
      Authorization: signedAuthorization(legacy, 'GET', path),
    });
    assert.equal(before.status, 401, 'not known yet');
    // The key itself still works, as it did (existing PBX configurations go on working).
    assert.equal((await api('GET', path, { key })).status, 200);
    const after = await send('GET', path, '', {
      Authorization: signedAuthorization(legacy, 'GET', path),
    });
    assert.equal(after.status, 200, after.text);
  });
});
