import assert from 'node:assert/strict';
import { BASE_URL, createTenant, type TestTenant } from '../support/emulator';
import { parseHashcompat } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';

/**
 * One error voice, through the real platform (the Functions emulator's Express and body-parser):
 * every answer, errors included, in the negotiated format with `error` and a `message` naming
 * the field and what is allowed; JSON and form bodies read by one rule.
 */
describe('error format and negotiation (emulator)', function () {
  this.timeout(60_000);
  let tenant: TestTenant;

  beforeEach(async () => {
    tenant = await createTenant('outbox');
  });

  const send = async (
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    method = 'POST',
  ) => {
    const res = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: { Authorization: `Bearer ${tenant.key}`, ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, text };
  };
  const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

  it('answers a malformed JSON body with a JSON error, no stack and no path', async () => {
    const res = await send('/v1/calls', '{"call_id": "1", "to": 1001', {
      'Content-Type': 'application/json',
    });
    assert.equal(res.status, 400);
    assert.match(res.type, /^application\/json/);
    const body = json(res.text);
    assert.equal(body.error, 'invalid_argument');
    assert.match(String(body.message), /^body: is not valid JSON/);
    assert.doesNotMatch(res.text, /SyntaxError|at JSON\.parse|node_modules|\/work\/|<html|<pre/i);
  });

  it('answers the same malformed body as a form when Accept asks for one', async () => {
    const res = await send('/v1/calls', '{"to":', {
      'Content-Type': 'application/json',
      Accept: 'application/x-www-form-urlencoded',
    });
    assert.equal(res.status, 400);
    assert.match(res.type, /^application\/x-www-form-urlencoded/);
    assert.equal(parseHashcompat(res.text).error, 'invalid_argument');
  });

  it('answers in the request own format when there is no Accept (or only */*)', async () => {
    for (const accept of [undefined, '*/*']) {
      const headers: Record<string, string> = accept ? { Accept: accept } : {};
      const asJson = await send('/v1/calls', JSON.stringify({ call_id: callId() }), {
        ...headers,
        'Content-Type': 'application/json',
      });
      assert.match(asJson.type, /^application\/json/, `JSON request, Accept ${accept}`);
      assert.equal(json(asJson.text).message, 'to: is required');
      const asForm = await send('/v1/calls', `call_id=${callId()}`, {
        ...headers,
        'Content-Type': 'application/x-www-form-urlencoded',
      });
      assert.match(asForm.type, /^application\/x-www-form-urlencoded/, `form, Accept ${accept}`);
      assert.equal(parseHashcompat(asForm.text).message, 'to: is required');
    }
  });

  it('answers JSON to a form request whose Accept asks for JSON', async () => {
    const res = await send('/v1/calls', `call_id=${callId()}`, {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    });
    assert.match(res.type, /^application\/json/);
    assert.equal(json(res.text).error, 'invalid_argument');
  });

  it('reads JSON numbers as text and numeric text as numbers, as forms are read', async () => {
    const res = await send(
      '/v1/calls',
      JSON.stringify({ call_id: callId(), to: 1001, ring_timeout: '10' }),
      { 'Content-Type': 'application/json' },
    );
    assert.equal(res.status, 201, res.text);
    assert.equal(json(res.text).status, 'unknown_extension');
  });

  it('takes choices in any letter case and names what is allowed when one is wrong', async () => {
    const ok = await send(
      '/v1/extensions/1001/devices/phone',
      `platform=iOS&voip_token=${voipToken()}&app_id=com.example.phone&apns_env=Sandbox`,
      { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      'PUT',
    );
    assert.equal(ok.status, 201, ok.text);
    const bad = await send(
      '/v1/extensions/1001/devices/phone2',
      JSON.stringify({ platform: 'windows', fcm_token: fcmToken() }),
      { 'Content-Type': 'application/json' },
      'PUT',
    );
    assert.equal(bad.status, 400);
    assert.equal(json(bad.text).message, 'platform: must be one of android, ios, web');
  });

  it('refuses a JSON field holding an object, naming it', async () => {
    const res = await send('/v1/calls', JSON.stringify({ call_id: callId(), to: { ext: 1 } }), {
      'Content-Type': 'application/json',
    });
    assert.equal(res.status, 400);
    assert.match(String(json(res.text).message), /^to: must be a single value/);
  });

  it('answers an unsupported media type in the negotiated format', async () => {
    const res = await send('/v1/calls', '<call/>', {
      'Content-Type': 'application/xml',
      Accept: 'application/json',
    });
    assert.equal(res.status, 415);
    assert.equal(json(res.text).error, 'unsupported_media_type');
  });
});
