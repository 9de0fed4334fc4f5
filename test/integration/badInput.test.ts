import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PBX_CANCEL_REASONS } from '../../functions/core/call/callState';
import { callUuid } from '../../functions/core/call/callUuid';
import { RING_TIMEOUT, extensionSchema, uidSchema } from '../../functions/core/schemas';
import { memberApp, type TestApp } from '../support/app';
import { BASE_URL, createTenant, db, masked, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

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
  // Raw bytes, most of them not UTF-8.
  fc.uint8Array({ maxLength: 200 }),
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

/** Path segments that must not match: odd percent-encodings, dot segments, huge, reserved ids. */
const oddSegment = fc.constantFrom(
  '%FF',
  '%C0%AF',
  '%E2%80%AE',
  '%00',
  '%',
  '%zz',
  '%252F',
  'a%2Fb',
  '%2E%2E',
  '.',
  '__name__',
  'x'.repeat(2_000),
);

/** A path segment that decodes to a value `schema` refuses: generated, then checked against it. */
const badSegment = (schema: { safeParse(value: unknown): { success: boolean } }) =>
  fc.oneof(
    oddSegment,
    fc
      .string({ minLength: 1, maxLength: 80 })
      .filter((value) => !schema.safeParse(value).success)
      .map((value) => encodeURIComponent(value)),
  );

/** Header values as a client may send them: any visible ASCII. */
const headerValue = fc.string({ maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, ''));

/**
 * Whether docs/api.md reads `reason` as a cancel the API takes: null or an empty value is
 * absent (the default, hangup), and a choice takes any letter case and surrounding spaces.
 */
const acceptedReason = (reason: unknown): boolean =>
  reason === null ||
  (typeof reason === 'string' &&
    (reason.trim() === '' ||
      (PBX_CANCEL_REASONS as readonly string[]).includes(reason.trim().toLowerCase())));

/** Cancel bodies that must be refused: a reason outside the list, a non-object, a repeated field, a foreign type. */
const badCancel = fc.oneof(
  fc
    .string({ maxLength: 30 })
    .filter((r) => !acceptedReason(r))
    .map((reason) => ({
      type: 'application/x-www-form-urlencoded',
      body: `reason=${encodeURIComponent(reason)}`,
    })),
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((reason) => !acceptedReason(reason))
    .map((reason) => ({ type: 'application/json', body: JSON.stringify({ reason }) })),
  fc
    .constantFrom('[]', '1', '"hangup"', 'null', 'true', '{', 'reason=hangup')
    .map((body) => ({ type: 'application/json', body })),
  fc.constant({ type: 'application/x-www-form-urlencoded', body: 'reason=hangup&reason=busy' }),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
      ),
      fc.string({ maxLength: 60 }),
    )
    .map(([type, body]) => ({ type, body })),
);

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Uint8Array,
) {
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
  this.timeout(SUITE_TIMEOUT_MS);
  let tenant: TestTenant;
  let app: TestApp;
  let idToken: string;
  /** The call this test's requests name: a fresh one per test, ringing well past the test. */
  let id = '';

  before(async () => {
    tenant = await createTenant('outbox');
    app = await memberApp(tenant, '1001');
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    idToken = await app.idToken();
  });
  beforeEach(async () => {
    id = callId();
    const rang = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001', ring_timeout: String(RING_TIMEOUT.max) },
    });
    assert.equal(rang.status, 201, rang.text);
  });
  after(async () => {
    await app.close();
  });

  /**
   * Everything a refused request could have written for this tenant: its devices, which calls
   * it has, this test's call and its pushes, members, pairing codes. (Earlier tests' calls reach
   * their deadline in their own time; only that they exist is compared.)
   */
  const written = async () => {
    const uuid = callUuid(tenant.id, id);
    const [devices, calls, outbox, members, codes] = await Promise.all([
      db().collection(`tenants/${tenant.id}/devices`).get(),
      db().collection(`tenants/${tenant.id}/calls`).get(),
      db().collection('pushOutbox').where('callUuid', '==', uuid).get(),
      db().collectionGroup('members').get(),
      db().collection('pairingCodes').where('tenant', '==', tenant.id).get(),
    ]);
    return {
      devices: devices.docs.map((d) => [d.id, masked(d.data())]),
      calls: calls.docs.map((d) => d.id),
      call: calls.docs.find((d) => d.id === uuid)?.data(),
      pushes: outbox.size,
      members: members.docs
        .map((d) => d.ref.path)
        .filter((p) => p.startsWith(`tenants/${tenant.id}/`)),
      codes: codes.size,
    };
  };

  const bodyRoutes: [string, string, 'key' | 'token'][] = [
    ['POST', '/v1/calls', 'key'],
    ['PUT', '/v1/extensions/1001/devices/pixel2', 'key'],
    ['POST', '/v1/app/pair', 'token'],
    ['PUT', '/v1/app/devices/pixel3', 'token'],
    ['POST', '/v1/app/calls/{id}/answer', 'token'],
    ['POST', '/v1/app/calls/{id}/ack', 'token'],
    ['POST', '/api/register-push-token', 'key'],
    ['POST', '/api/register-fcm-token', 'token'],
    ['POST', '/api/unregister-fcm-token', 'key'],
  ];

  for (const [method, path, auth] of bodyRoutes) {
    it(`${method} ${path}: malformed bodies and content types get a 4xx and change nothing`, async () => {
      const before = await written();
      const headers =
        auth === 'key'
          ? { Authorization: `Bearer ${tenant.key}` }
          : { Authorization: `Bearer ${idToken}` };
      await fc.assert(
        fc.asyncProperty(badBody, fc.constantFrom(...CONTENT_TYPES), async (body, contentType) => {
          const status = await send(
            method,
            path.replace('{id}', id),
            { ...headers, 'Content-Type': contentType },
            body,
          );
          return status >= 400 && status < 500;
        }),
        { numRuns: 150 },
      );
      assert.deepEqual(await written(), before);
    });
  }

  it('odd query strings, path parameters and headers never get a 5xx', async () => {
    const before = await written();
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
    assert.deepEqual(await written(), before);
  });

  it('POST /v1/calls/{id}/cancel: bad reasons, bodies and types get a 4xx and the call rings on', async () => {
    const before = await written();
    await fc.assert(
      fc.asyncProperty(badCancel, async ({ type, body }) => {
        const status = await send(
          'POST',
          `/v1/calls/${id}/cancel`,
          { Authorization: `Bearer ${tenant.key}`, 'Content-Type': type },
          body,
        );
        return status >= 400 && status < 500;
      }),
      { numRuns: 200 },
    );
    assert.deepEqual(await written(), before);
  });

  it('members, pairing codes, device lists and app devices: bad path parameters, queries and headers get a 4xx', async () => {
    const before = await written();
    const pbx = { Authorization: `Bearer ${tenant.key}` };
    const user = () => ({ Authorization: `Bearer ${idToken}` });
    const requests = fc.oneof(
      fc
        .tuple(fc.constantFrom('PUT', 'DELETE'), badSegment(extensionSchema), fc.constant(app.uid))
        .map(
          ([method, ext, uid]) => [method, `/v1/extensions/${ext}/members/${uid}`, pbx] as const,
        ),
      fc
        .tuple(fc.constantFrom('PUT', 'DELETE'), badSegment(uidSchema))
        .map(([method, uid]) => [method, `/v1/extensions/1001/members/${uid}`, pbx] as const),
      badSegment(extensionSchema).map(
        (ext) => ['POST', `/v1/extensions/${ext}/pairing-codes`, pbx] as const,
      ),
      fc
        .tuple(badSegment(extensionSchema), fc.string({ maxLength: 40 }))
        .map(
          ([ext, query]) =>
            ['GET', `/v1/extensions/${ext}/devices?${encodeURIComponent(query)}`, pbx] as const,
        ),
      fc
        .tuple(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.string({ maxLength: 40 }),
          fc.option(oddSegment, { nil: '' }),
        )
        .map(
          ([device, tenantHint, odd]) =>
            [
              'DELETE',
              `/v1/app/devices/${encodeURIComponent(device)}${odd}?tenant=${encodeURIComponent(tenantHint)}`,
              user(),
            ] as const,
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        requests,
        headerValue,
        headerValue,
        async ([method, path, auth], accept, contentType) => {
          const status = await send(method, path, {
            ...auth,
            Accept: accept,
            'Content-Type': contentType,
          });
          return status >= 400 && status < 500;
        },
      ),
      { numRuns: 400 },
    );
    assert.deepEqual(await written(), before);
  });

  it('GET /v1/health: any query and headers answer 200, other methods 405; nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.string({ maxLength: 60 }),
        headerValue,
        headerValue,
        async (method, query, accept, authorization) => {
          const status = await send(method, `/v1/health?${encodeURIComponent(query)}`, {
            Accept: accept,
            Authorization: authorization,
          });
          return method === 'GET' ? status === 200 : status === 405;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('every body route: bodies over 64 KiB get 413, oversized headers a 4xx; nothing changes', async () => {
    const before = await written();
    const pad = 'x'.repeat(70_000);
    for (const [method, path, auth] of bodyRoutes) {
      const authorization = `Bearer ${auth === 'key' ? tenant.key : idToken}`;
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', `call_id=big&to=1001&pad=${pad}`],
        ['application/json', JSON.stringify({ call_id: 'big', to: '1001', pad })],
      ] as const) {
        const status = await send(
          method,
          path,
          { Authorization: authorization, 'Content-Type': type },
          body,
        );
        assert.equal(status, 413, `${method} ${path} ${type}`);
      }
      const status = await send(method, path, {
        Authorization: authorization,
        'X-Padding': pad.slice(0, 20_000),
      });
      assert.ok(status >= 400 && status < 500, `${method} ${path} with a 20 kB header: ${status}`);
    }
    assert.deepEqual(await written(), before);
  });
});
