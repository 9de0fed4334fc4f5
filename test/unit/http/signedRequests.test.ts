import assert from 'node:assert/strict';
import { handle } from '../../../functions/http/router';
import {
  canonicalRequest,
  signingKeyId,
  signingSecretFor,
  signRequest,
} from '../../../functions/core/access/pbxSignature';
import { apiRequest, fakeApiContext, type FakeApiContext } from '../../support/fakes';
import { signedAuthorization } from '../../support/signing';

const KEY = 'k-acme';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const signer = (key = KEY) => {
  const signingSecret = signingSecretFor(key);
  return { signingSecret, signingKeyId: signingKeyId(signingSecret) };
};

/** A body signed at its end, as the Asterisk include signs it. */
function signedBody(ctx: FakeApiContext, method: string, path: string, body: string, ts?: number) {
  const s = signer();
  const at = ts ?? Math.floor(ctx.clock.now() / 1000);
  const nonce = '123456789';
  const sig = signRequest(
    s.signingSecret,
    'sha1',
    canonicalRequest(method, path, { ts: at, nonce }, body),
  );
  return `${body}&cw_key=${s.signingKeyId}&cw_auth=v1.sha1.${at}.${nonce}.${sig}`;
}

describe('signed PBX requests through the router', () => {
  let ctx: FakeApiContext;
  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    handle(apiRequest('POST', path, { headers: { ...FORM, ...headers }, body }), ctx);

  it('takes a body-signed call once; its replay, another body or another path are 401', async () => {
    const body = 'call_id=c-1&to=100';
    const signed = signedBody(ctx, 'POST', '/v1/calls', body);
    assert.equal((await post('/v1/calls', signed)).status, 201);
    const replay = await post('/v1/calls', signed);
    assert.equal(replay.status, 401);
    assert.match(replay.body.message as string, /sent before/);
    const other = signed.replace('to=100', 'to=200');
    assert.equal((await post('/v1/calls', other)).status, 401, 'another body');
    assert.equal((await post('/v1/calls/c-1/cancel', signed)).status, 401, 'another path');
  });

  it('takes an HTTP Basic signature (sha256, as Kamailio signs) on the device routes', async () => {
    const path = '/v1/extensions/100/devices/sip-1';
    const body = 'platform=android&fcm_token=tok-1';
    const auth = signedAuthorization(signer(), 'POST', path, body, {
      alg: 'sha256',
      ts: Math.floor(ctx.clock.now() / 1000),
    });
    assert.equal((await post(path, body, { Authorization: auth })).status, 201);
    assert.equal((await post(path, body, { Authorization: auth })).status, 401, 'replayed');
  });

  it('refuses a time more than 120 s off, an unknown signing key, and the admin routes', async () => {
    const now = Math.floor(ctx.clock.now() / 1000);
    for (const ts of [now - 121, now + 121]) {
      const res = await post(
        '/v1/calls',
        signedBody(ctx, 'POST', '/v1/calls', 'call_id=c&to=1', ts),
      );
      assert.equal(res.status, 401, String(ts));
      assert.match(res.body.message as string, /check the PBX's clock/);
    }
    const stranger = signedAuthorization(
      signer('k-unknown'),
      'POST',
      '/v1/calls',
      'call_id=c&to=1',
    );
    assert.equal(
      (await post('/v1/calls', 'call_id=c&to=1', { Authorization: stranger })).status,
      401,
    );
    for (const path of ['/v1/extensions/100/members/uid-1', '/v1/extensions/100/pairing-codes']) {
      const method = path.endsWith('codes') ? 'POST' : 'PUT';
      const res = await handle(
        apiRequest(method, path, {
          headers: FORM,
          body: signedBody(ctx, method, path, 'x=1'),
        }),
        ctx,
      );
      assert.equal(res.status, 401, path);
      assert.match(res.body.message as string, /takes the API key itself/);
    }
    assert.equal(ctx.members.invitations.size, 0);
  });

  it('long-polls with wait in a signed body (POST /v1/calls/{id}/wait)', async () => {
    await post('/v1/calls', signedBody(ctx, 'POST', '/v1/calls', 'call_id=c-2&to=100'));
    const res = await post(
      '/v1/calls/c-2/wait',
      signedBody(ctx, 'POST', '/v1/calls/c-2/wait', 'wait=0'),
    );
    assert.equal(res.status, 200);
    // The call as stored: extension 100 never had a phone nor a member here.
    assert.equal(res.body.status, 'unknown_extension');
  });
});
