import assert from 'node:assert/strict';
import fc from 'fast-check';
import { signInApp, type TestApp } from '../support/app';
import { BASE_URL, createTenant, db, tenantSnapshot, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';

/**
 * Property-based: thousands of malformed bodies, content types, query strings
 * and path parameters thrown at the routes. Every answer is a 4xx (never a
 * 5xx, never a hang) and nothing is written.
 */

const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
];

/** A body that the routes must refuse: random text, random JSON, random forms. */
const badBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 6 })
    .map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom(
    'call_id=&to=',
    'to=1001',
    'call_id=1&to=1001&ring_timeout=999',
    '%zz=%',
    '{"to":[]}',
  ),
);

async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('bad input: property-based (emulator, fast-check)', function () {
  this.timeout(240_000);
  let tenant: TestTenant;
  let app: TestApp;
  let idToken: string;
  const id = callId();

  before(async () => {
    tenant = await createTenant('outbox');
    app = await signInApp();
    await api('PUT', `/v1/extensions/1001/members/${app.uid}`, { key: tenant.key });
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    await api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } });
    idToken = await app.idToken();
  });
  after(async () => {
    await app.close();
  });

  const outboxSize = async () =>
    (await db().collection('pushOutbox').where('tenant', '==', tenant.id).get()).size;

  const bodyRoutes: [string, string, 'key' | 'token'][] = [
    ['POST', '/v1/calls', 'key'],
    ['PUT', '/v1/extensions/1001/devices/pixel2', 'key'],
    ['POST', '/v1/app/pair', 'token'],
    ['PUT', '/v1/app/devices/pixel3', 'token'],
    ['POST', `/v1/app/calls/${id}/answer`, 'token'],
    ['POST', `/v1/app/calls/${id}/ack`, 'token'],
    ['POST', '/api/register-push-token', 'key'],
    ['POST', '/api/register-fcm-token', 'token'],
    ['POST', '/api/unregister-fcm-token', 'key'],
  ];

  for (const [method, path, auth] of bodyRoutes) {
    it(`${method} ${path}: malformed bodies and content types get a 4xx and change nothing`, async () => {
      const before = [await tenantSnapshot(tenant.id), await outboxSize()];
      const headers =
        auth === 'key'
          ? { Authorization: `Bearer ${tenant.key}` }
          : { Authorization: `Bearer ${idToken}` };
      await fc.assert(
        fc.asyncProperty(badBody, fc.constantFrom(...CONTENT_TYPES), async (body, contentType) => {
          const status = await send(
            method,
            path,
            { ...headers, 'Content-Type': contentType },
            body,
          );
          return status >= 400 && status < 500;
        }),
        { numRuns: 150 },
      );
      assert.deepEqual([await tenantSnapshot(tenant.id), await outboxSize()], before);
    });
  }

  it('odd query strings, path parameters and headers never get a 5xx', async () => {
    const before = await tenantSnapshot(tenant.id);
    const segment = fc.string({ minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s));
    await fc.assert(
      fc.asyncProperty(
        segment,
        fc.string({ maxLength: 40 }),
        fc.constantFrom('GET', 'DELETE', 'POST', 'PUT', 'PATCH'),
        fc.constantFrom('', 'Bearer ', 'Basic ', 'Bearer eyJ.', 'Digest '),
        fc.string({ maxLength: 40 }),
        async (param, query, method, scheme, credential) => {
          const path = `/v1/calls/${param}?wait=${encodeURIComponent(query)}`;
          const status = await send(method, path, {
            Authorization: `${scheme}${credential.replace(/[^\x20-\x7e]/g, '')}`,
          });
          return status >= 400 && status < 500;
        },
      ),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(segment, segment, async (ext, device) => {
        const status = await send('DELETE', `/v1/extensions/${ext}x/devices/${device}x`, {
          Authorization: `Bearer ${tenant.key}`,
        });
        return status >= 400 && status < 500;
      }),
      { numRuns: 200 },
    );
    assert.equal(await tenantSnapshot(tenant.id), before);
  });

  it('bodies over 64 KiB get 413 and change nothing', async () => {
    const status = await send(
      'POST',
      '/v1/calls',
      {
        Authorization: `Bearer ${tenant.key}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      `call_id=big&to=1001&pad=${'x'.repeat(70_000)}`,
    );
    assert.equal(status, 413);
  });
});
