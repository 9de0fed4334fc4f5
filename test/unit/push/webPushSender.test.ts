import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { incomingCallPayload } from '../../../functions/core/render/payload';
import { webPushRequest } from '../../../functions/core/render/pushEnvelopes';
import type { RenderedPush } from '../../../functions/core/send/push';
import { guardedLookup } from '../../../functions/push/endpointGuard';
import { parseVapidKey } from '../../../functions/push/vapidKey';
import { WebPushSender } from '../../../functions/push/webPushSender';
import { FakeWebPush, type SubscriptionJson } from '../../support/fakeWebPush';
import { ringingCall } from '../core/fixtures';

const SUBJECT = 'mailto:ops@callwake.example';
const pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

describe('WebPushSender against the fake Web Push service (HTTPS, VAPID, RFC 8291)', () => {
  const fake = new FakeWebPush();
  const vapid = parseVapidKey(pem());
  let sender: WebPushSender;
  const call = ringingCall({ expiresAt: Date.now() + 30_000 });

  before(async () => {
    const { origin, ca } = await fake.start();
    sender = new WebPushSender({
      vapid: { ...vapid, subject: SUBJECT },
      ca,
      testOrigins: [origin],
    });
  });
  after(async () => {
    await fake.close();
  });

  const subscribe = (key = vapid.publicKey) => fake.subscribe({ applicationServerKey: key });
  const push = (sub: SubscriptionJson, keys = true): RenderedPush =>
    webPushRequest(
      call,
      keys ? { endpoint: sub.endpoint, ...sub.keys } : { endpoint: sub.endpoint },
      25,
      incomingCallPayload(call),
    );

  it('encrypts the payload to the subscription and signs a VAPID token the service verifies', async () => {
    const sub = subscribe();
    const result = await sender.send(push(sub), Date.now() + 5_000);
    assert.deepEqual(result, { kind: 'accepted', status: 201 });
    const [request] = fake.requestsFor(sub.endpoint);
    assert.ok(request);
    assert.deepEqual(JSON.parse(request.payload ?? ''), incomingCallPayload(call));
    assert.equal(request.headers['content-encoding'], 'aes128gcm');
    assert.deepEqual(
      [request.ttl, request.urgency, request.topic],
      [25, 'high', call.callUuid.replace(/-/g, '')],
    );
    const claims = request.vapid?.claims ?? {};
    assert.equal(claims.aud, fake.origin);
    assert.equal(claims.sub, SUBJECT);
    const exp = claims.exp as number;
    assert.ok(exp > Date.now() / 1000 && exp <= Date.now() / 1000 + 24 * 3600, String(exp));
    assert.equal(request.vapid?.key, vapid.publicKey);
  });

  it('sends a push with no payload to a subscription without keys (RFC 8599)', async () => {
    const sub = subscribe();
    assert.equal((await sender.send(push(sub, false), Date.now() + 5_000)).kind, 'accepted');
    const [request] = fake.requestsFor(sub.endpoint);
    assert.ok(request);
    assert.equal(request.bodyBytes, 0);
    assert.equal(request.headers['content-encoding'], undefined);
  });

  it('maps the service’s answers: gone, not found, too big, too many, unavailable, another key', async () => {
    const cases: [unknown, Record<string, unknown>][] = [
      ['unregistered', { kind: 'dead_token', status: 410, reason: 'gone' }],
      [{ status: 404 }, { kind: 'dead_token', status: 404, reason: 'not_found' }],
      [
        { status: 413 },
        { kind: 'failed', retryable: false, status: 413, reason: 'payload_too_large' },
      ],
      [
        { status: 429, retryAfter: 3 },
        {
          kind: 'failed',
          retryable: true,
          status: 429,
          reason: 'too_many_requests',
          retryAfterMs: 3000,
        },
      ],
      [{ status: 503 }, { kind: 'failed', retryable: true, status: 503, reason: 'http_503' }],
    ];
    for (const [fault, expected] of cases) {
      const sub = subscribe();
      if (fault === 'unregistered') fake.unregister(sub.endpoint);
      else fake.script(sub.endpoint, [fault as { status: number }]);
      assert.deepEqual(await sender.send(push(sub), Date.now() + 5_000), expected);
    }
    const foreign = subscribe(parseVapidKey(pem()).publicKey);
    assert.deepEqual(await sender.send(push(foreign), Date.now() + 5_000), {
      kind: 'failed',
      retryable: false,
      status: 403,
      reason: 'vapid_key_mismatch',
    });
  });

  it('gives up at the deadline on a service that never answers, and reports a reset as retryable', async () => {
    const hung = subscribe();
    fake.script(hung.endpoint, ['hang']);
    const started = Date.now();
    const result = await sender.send(push(hung), started + 300);
    assert.deepEqual(result, { kind: 'failed', retryable: true, reason: 'timeout' });
    assert.ok(Date.now() - started < 2_000);
    const reset = subscribe();
    fake.script(reset.endpoint, ['reset']);
    assert.deepEqual(await sender.send(push(reset), Date.now() + 5_000), {
      kind: 'failed',
      retryable: true,
      reason: 'network_error',
    });
  });

  it('never connects to a private address: by URL, and by what a name resolves to at send time', async () => {
    const sub = subscribe();
    const before = fake.requests.length;
    const inside = { ...push(sub), url: sub.endpoint.replace(/:\d+\//, ':9/') };
    assert.deepEqual(await sender.send(inside, Date.now() + 5_000), {
      kind: 'failed',
      retryable: false,
      reason: 'endpoint_refused',
    });
    // A public-looking name that resolves to loopback now (DNS rebinding after registration).
    const rebinding = new WebPushSender({
      vapid: { ...vapid, subject: SUBJECT },
      lookup: guardedLookup([], () => Promise.resolve([{ address: '127.0.0.1', family: 4 }])),
    });
    const named = { ...push(sub), url: 'https://push.example.net/wpush/abc' };
    assert.deepEqual(await rebinding.send(named, Date.now() + 5_000), {
      kind: 'failed',
      retryable: false,
      reason: 'endpoint_refused',
    });
    assert.equal(fake.requests.length, before, 'nothing reached any server');
  });
});
