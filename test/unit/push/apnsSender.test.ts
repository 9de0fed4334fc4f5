import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ApnsEnv, RenderedPush, SendResult } from '../../../functions/core/send/push';
import { ApnsSender } from '../../../functions/push/apnsSender';
import { connectionFailureTests, deadTokenTests, overFake } from './senderFaults';
import { ApnsWorld } from '../../support/apnsWorld';
import { FakeApns, type ApnsFault } from '../../support/fakeApns';
import { KEY_ID, TEAM_ID, es256Key, newDeviceToken, renderVoip } from './apnsFixtures';

/** A port nothing listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}

describe('ApnsSender against the fake APNs server', () => {
  const key = es256Key();
  const world = new ApnsWorld();
  const fakeOptions = { keyId: KEY_ID, teamId: TEAM_ID, publicKey: key.publicKey, world };
  const production = new FakeApns({ ...fakeOptions, environment: 'production' });
  const sandbox = new FakeApns({ ...fakeOptions, environment: 'sandbox' });
  const senders: ApnsSender[] = [];
  const results: { token: string; result: SendResult }[] = [];
  let sender: ApnsSender;
  let origins: Record<ApnsEnv, string>;

  function makeSender(origins: Record<ApnsEnv, string>, signingKey = key.privateKey): ApnsSender {
    const made = new ApnsSender({
      key: signingKey,
      keyId: KEY_ID,
      teamId: TEAM_ID,
      origins,
      ca: production.ca,
    });
    senders.push(made);
    return made;
  }

  before(async () => {
    origins = {
      production: (await production.start()).origin,
      sandbox: (await sandbox.start()).origin,
    };
    sender = makeSender(origins);
  });
  afterEach(() => {
    production.reset();
    sandbox.reset();
  });
  after(async () => {
    await Promise.all(senders.map((s) => s.close()));
    await Promise.all([production.close(), sandbox.close()]);
  });

  const render = renderVoip;

  // A budget a busy machine cannot run out of, for sends that should be answered.
  async function send(push: RenderedPush, budgetMs = 30_000, via = sender): Promise<SendResult> {
    const result = await via.send(push, Date.now() + budgetMs);
    results.push({ token: push.token, result });
    return result;
  }

  const newToken = newDeviceToken;

  it('delivers exactly the rendered headers and payload, signed with our JWT', async () => {
    const token = newToken();
    const apnsId = crypto.randomUUID();
    const push = render(token, { 'apns-collapse-id': 'call-1', 'apns-id': apnsId });
    assert.deepEqual(await send(push), { kind: 'accepted', status: 200, providerId: apnsId });

    const [req] = production.requestsFor(token);
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/3/device/${token}`);
    const { authorization, ...headers } = req.headers;
    assert.match(authorization ?? '', /^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    // Nothing but the rendered headers besides the JWT: no defaults of our own.
    assert.deepEqual(headers, push.headers);
    assert.deepEqual(req.body, push.body);
    assert.equal(req.rawBody, JSON.stringify(push.body));
    // Apple's documented JWT: header {alg, kid}, claims {iss, iat}.
    assert.deepEqual(req.jwtHeader, { alg: 'ES256', kid: KEY_ID });
    assert.deepEqual(Object.keys(req.jwtClaims ?? {}), ['iss', 'iat']);
    assert.equal(req.jwtClaims?.iss, TEAM_ID);
    assert.equal(sandbox.requests.length, 0);
  });

  it('adds no header the push did not have, and reports the apns-id Apple chose', async () => {
    const token = newToken();
    const push = render(token);
    delete push.headers['apns-priority'];
    const result = await send(push);
    assert.ok(result.kind === 'accepted' && /^[0-9A-F-]{36}$/.test(result.providerId ?? ''));
    const req = production.requestsFor(token)[0];
    assert.equal(req?.headers['apns-priority'], undefined);
    assert.equal(req?.headers['apns-id'], undefined);
  });

  it('sends sandbox tokens to the sandbox origin', async () => {
    const token = newToken();
    sandbox.register(token);
    assert.equal((await send(render(token, {}, 'sandbox'))).kind, 'accepted');
    assert.equal(sandbox.requestsFor(token).length, 1);
    assert.equal(production.requestsFor(token).length, 0);
  });

  it('answers a token sent to the other environment exactly as Apple does: 400 BadDeviceToken', async () => {
    const sandboxToken = newToken();
    sandbox.register(sandboxToken);
    const productionToken = newToken();
    const bad = { kind: 'dead_token', status: 400, reason: 'BadDeviceToken' };
    assert.deepEqual(await send(render(sandboxToken, {}, 'production')), bad);
    assert.deepEqual(await send(render(productionToken, {}, 'sandbox')), bad);
    // Each went once, to the host it named; the right host still takes it.
    assert.equal(production.requestsFor(sandboxToken).length, 1);
    assert.equal(sandbox.requestsFor(productionToken).length, 1);
    assert.equal((await send(render(sandboxToken, {}, 'sandbox'))).kind, 'accepted');
  });

  it('presents the same provider token to both environments', async () => {
    const [a, b] = [newToken(), newToken()];
    sandbox.register(b);
    assert.equal((await send(render(a, {}, 'production'))).kind, 'accepted');
    assert.equal((await send(render(b, {}, 'sandbox'))).kind, 'accepted');
    assert.equal(production.requestsFor(a)[0]?.jwt, sandbox.requestsFor(b)[0]?.jwt);
    assert.equal(world.updates(TEAM_ID).length, 1);
  });

  const sut = () =>
    overFake<Extract<ApnsFault, string>>(production, newToken, (token, budgetMs) =>
      send(render(token), budgetMs),
    );

  deadTokenTests(sut, [
    ['unregistered', 410, 'Unregistered'],
    ['bad_device_token', 400, 'BadDeviceToken'],
    ['not_for_topic', 400, 'DeviceTokenNotForTopic'],
  ]);

  it('treats 429, 500 and 503 as retryable, without retrying inside the library', async () => {
    const token = newToken();
    production.script(token, [{ status: 429 }, { status: 500 }, { status: 503 }]);
    for (const [status, reason] of [
      [429, 'TooManyRequests'],
      [500, 'InternalServerError'],
      [503, 'ServiceUnavailable'],
    ] as const) {
      assert.deepEqual(await send(render(token)), {
        kind: 'failed',
        retryable: true,
        status,
        reason,
      });
    }
    assert.equal(production.requestsFor(token).length, 3);
    assert.equal((await send(render(token))).kind, 'accepted');
  });

  it('treats other 4xx as non-retryable with Apple’s reason', async () => {
    const token = newToken();
    assert.deepEqual(await send(render(token, { 'apns-priority': '7' })), {
      kind: 'failed',
      retryable: false,
      status: 400,
      reason: 'BadPriority',
    });
    assert.deepEqual(await send(render(token, { 'apns-topic': 'com.example.softphone' })), {
      kind: 'failed',
      retryable: false,
      status: 400,
      reason: 'BadTopic',
    });
  });

  it('replaces a token Apple calls expired and resends within the same send', async () => {
    const token = newToken();
    production.script(token, ['expired_provider_token']);
    assert.equal((await send(render(token))).kind, 'accepted');
    const [expired, retry, ...more] = production.requestsFor(token);
    assert.equal(expired?.status, 403);
    assert.equal(retry?.freshJwtAfterExpiry, true);
    assert.notEqual(retry.jwt, expired.jwt);
    assert.equal(more.length, 0);
    // The replacement is the window's next generation: iat one second on, same window.
    assert.equal(Number(retry.jwtClaims?.iat) - Number(expired.jwtClaims?.iat), 1);
    // Later pushes keep the replacement; the expired token is never presented again.
    const next = newToken();
    assert.equal((await send(render(next))).kind, 'accepted');
    assert.equal(production.requestsFor(next)[0]?.jwt, retry.jwt);
  });

  it('reports a second ExpiredProviderToken in one send as retryable', async () => {
    const token = newToken();
    production.script(token, ['expired_provider_token', 'expired_provider_token']);
    assert.deepEqual(await send(render(token)), {
      kind: 'failed',
      retryable: true,
      status: 403,
      reason: 'ExpiredProviderToken',
    });
    assert.equal(production.requestsFor(token).length, 2);
    assert.equal((await send(render(token))).kind, 'accepted');
  });

  it('calls InvalidProviderToken non-retryable', async () => {
    const token = newToken();
    const wrongKey = makeSender(origins, es256Key().privateKey);
    assert.deepEqual(await send(render(token), 500, wrongKey), {
      kind: 'failed',
      retryable: false,
      status: 403,
      reason: 'InvalidProviderToken',
    });
  });

  connectionFailureTests('APNs', sut);

  it('reports a refused connection as a retryable network error', async () => {
    const port = await closedPort();
    const refused = makeSender({
      production: `https://127.0.0.1:${port}`,
      sandbox: `https://127.0.0.1:${port}`,
    });
    const token = newToken();
    assert.deepEqual(await send(render(token), 500, refused), {
      kind: 'failed',
      retryable: true,
      reason: 'network_error',
    });
  });

  it('refuses a push without an APNs environment, and sends nothing after close()', async () => {
    const token = newToken();
    const push = render(token);
    delete push.apnsEnv;
    assert.deepEqual(await send(push), {
      kind: 'failed',
      retryable: false,
      reason: 'missing_apns_env',
    });
    const closing = makeSender(origins);
    await closing.close();
    assert.equal((await send(render(token), 500, closing)).kind, 'failed');
    assert.equal(production.requestsFor(token).length, 0);
  });

  it('never puts the device token in a reason', () => {
    assert.ok(results.length > 10);
    for (const { token, result } of results) {
      if (result.kind !== 'accepted') assert.ok(!result.reason.includes(token), result.reason);
    }
  });
});
