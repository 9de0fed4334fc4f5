import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import {
  createTenant,
  db,
  localSecrets,
  tenantSnapshot,
  type TestTenant,
} from '../support/emulator';
import { curl, parseHashcompat } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/**
 * The PBX API as libcurl reaches it: form POSTs (what Asterisk's CURL(url,data)
 * sends, with Content-Type application/x-www-form-urlencoded), HTTP Basic (its
 * CURLOPT(userpwd)), answers read the way CURLOPT(hashcompat) does, and the
 * errors and keys a dialplan never exercises. The include itself runs in a real
 * Asterisk in test/e2e/asterisk.
 */
describe('PBX requests over curl (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let tenant: TestTenant;

  beforeEach(async () => {
    tenant = await createTenant('outbox');
  });

  const bearer = () => ['-H', `Authorization: Bearer ${tenant.key}`];

  it('reads a form POST and answers key=value pairs that hashcompat parses', async () => {
    const token = fcmToken();
    const reg = await curl('/v1/extensions/1001/devices/pixel', [
      '-X',
      'PUT',
      ...bearer(),
      '-d',
      `platform=android&fcm_token=${token}`,
    ]);
    assert.equal(reg.status, 201, reg.text);
    assert.equal(parseHashcompat(reg.text).status, 'created');

    const id = callId();
    // CURL(url,data): the dialplan writes the form itself, URI-encoding values with ${URIENCODE()}.
    const reply = await curl('/v1/calls', [
      ...bearer(),
      '-d',
      `call_id=${id}&to=1001&from=5551234&from_name=${encodeURIComponent('Anne-Marie Smith & Co')}`,
    ]);
    assert.equal(reply.status, 201, reply.text);
    assert.match(reply.headers, /content-type: application\/x-www-form-urlencoded/i);
    const hash = parseHashcompat(reply.text);
    assert.deepEqual(hash, {
      status: 'ringing',
      call_id: id,
      call_uuid: callUuid(tenant.id, id),
      devices: '1',
      pushed: '1',
    });
    const outbox = await db()
      .collection('pushOutbox')
      .where('callUuid', '==', hash.call_uuid)
      .get();
    const data = (outbox.docs[0]?.data().body as { message: { data: Record<string, string> } })
      .message.data;
    assert.equal(data.caller_name, 'Anne-Marie Smith & Co');
  });

  // Asterisk always sends the form Content-Type; other PBX scripts may send none.
  it('reads a POST with no Content-Type as form data', async () => {
    const id = callId();
    const reply = await curl('/v1/calls', [
      '-H',
      'Content-Type:',
      '-H',
      `X-Api-Key: ${tenant.key}`,
      '--data-binary',
      `call_id=${id}&to=2002`,
    ]);
    assert.equal(reply.status, 201, reply.text);
    assert.equal(parseHashcompat(reply.text).status, 'unknown_extension');
  });

  it('accepts the key as the HTTP Basic password (CURLOPT(userpwd) on older Asterisk)', async () => {
    const id = callId();
    const reply = await curl('/v1/calls', [
      '-u',
      `pbx:${tenant.key}`,
      '-d',
      `call_id=${id}&to=2002`,
    ]);
    assert.equal(reply.status, 201, reply.text);
    const status = await curl(`/v1/calls/${id}`, ['-u', `pbx:${tenant.key}`]);
    assert.equal(parseHashcompat(status.text).status, 'unknown_extension');
  });

  it('accepts the deployment key (PBX_API_KEY) for the default tenant', async () => {
    const key = localSecrets().PBX_API_KEY!;
    const id = callId();
    const reply = await curl('/v1/calls', [
      '-H',
      `Authorization: Bearer ${key}`,
      '-d',
      `call_id=${id}&to=2002`,
    ]);
    assert.equal(reply.status, 201, reply.text);
    assert.equal(parseHashcompat(reply.text).call_uuid, callUuid('default', id));
  });

  it('answers errors with a status, a stable code and a message, and changes nothing', async () => {
    const before = await tenantSnapshot(tenant.id);
    const other = await createTenant('outbox');
    const cases: [string, string[], number, string][] = [
      ['no key', ['-d', 'call_id=1&to=1001'], 401, 'unauthenticated'],
      [
        'wrong key',
        ['-H', 'Authorization: Bearer nope', '-d', 'call_id=1&to=1001'],
        401,
        'unauthenticated',
      ],
      ['missing field', [...bearer(), '-d', 'call_id=1'], 400, 'invalid_argument'],
      [
        'bad timeout',
        [...bearer(), '-d', 'call_id=1&to=1001&ring_timeout=500'],
        400,
        'invalid_argument',
      ],
      [
        'bad content type',
        [...bearer(), '-H', 'Content-Type: text/plain', '-d', 'call_id=1&to=1001'],
        415,
        'unsupported_media_type',
      ],
      [
        'huge body',
        [...bearer(), '-d', `call_id=1&to=1001&from_name=${'x'.repeat(70_000)}`],
        413,
        'payload_too_large',
      ],
      ['wrong method', [...bearer(), '-X', 'DELETE'], 405, 'method_not_allowed'],
    ];
    for (const [label, args, status, code] of cases) {
      const reply = await curl('/v1/calls', args);
      assert.equal(reply.status, status, `${label}: ${reply.text}`);
      const hash = parseHashcompat(reply.text);
      assert.equal(hash.error, code, label);
      assert.ok(hash.message && hash.message.length > 10, label);
      assert.ok(!reply.text.includes(tenant.key), `${label}: the key is not echoed`);
    }
    const inQuery = await curl(`/v1/calls?api_key=${tenant.key}`, ['-d', 'call_id=1&to=1001']);
    assert.equal(inQuery.status, 401);
    assert.match(parseHashcompat(inQuery.text).message!, /not accepted in the query string/);
    const missing = parseHashcompat(
      (await curl('/v1/calls', [...bearer(), '-d', 'call_id=1'])).text,
    );
    assert.equal(missing.message, 'to: is required');
    const unknown = await curl('/v1/calls/never-seen', [
      '-H',
      `Authorization: Bearer ${other.key}`,
    ]);
    assert.equal(unknown.status, 404);
    const noRoute = await curl('/v2/anything', bearer());
    assert.equal(noRoute.status, 404);
    assert.equal(await tenantSnapshot(tenant.id), before);
  });

  it('answers the health check without a key', async () => {
    const reply = await curl('/v1/health', []);
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'status=ok');
  });
});
