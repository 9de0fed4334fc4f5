import assert from 'node:assert/strict';
import type { RenderedPush, SendResult } from '../../../functions/core/send/push';
import { FcmSender } from '../../../functions/push/fcmSender';
import { parseRetryAfter } from '../../../functions/push/retryAfter';
import { connectionFailureTests, deadTokenTests, overFake } from './senderFaults';
import { FakeFcm, type FcmFault } from '../../support/fakeFcm';
import { PROJECT_ID } from '../../support/project';

const ACCESS_TOKEN = 'ya29.test-access-token';

describe('FcmSender against the fake FCM server', () => {
  const fake = new FakeFcm({ accessToken: ACCESS_TOKEN, projectId: PROJECT_ID });
  const sender = new FcmSender({ getAccessToken: () => Promise.resolve(ACCESS_TOKEN) });
  const results: { token: string; result: SendResult }[] = [];
  let origin = '';
  let n = 0;

  before(async () => {
    ({ origin } = await fake.start());
  });
  afterEach(() => {
    fake.reset();
  });
  after(async () => {
    await fake.close();
  });

  /** A unique token per test, so scripts and records never leak between tests. */
  function nextToken(): string {
    n += 1;
    return `fcm-token-${n}-${'x'.repeat(120)}`;
  }

  function render(token: string, message: Record<string, unknown> = {}): RenderedPush {
    return {
      provider: 'fcm',
      url: `${origin}/v1/projects/${PROJECT_ID}/messages:send`,
      method: 'POST',
      headers: { 'x-callwake-call': 'call-1' },
      body: {
        message: {
          token,
          data: { type: 'incoming_call', callId: 'call-1', caller: '+3225550100' },
          android: { priority: 'high', ttl: '0s' },
          ...message,
        },
      },
      token,
    };
  }

  // A budget a busy machine cannot run out of, for sends that should be answered.
  async function send(push: RenderedPush, budgetMs = 30_000): Promise<SendResult> {
    const result = await sender.send(push, Date.now() + budgetMs);
    results.push({ token: push.token, result });
    return result;
  }

  it('posts exactly the rendered push, with the bearer token and JSON content type', async () => {
    const token = nextToken();
    const push = render(token);
    const result = await send(push);

    assert.equal(result.kind, 'accepted');
    assert.equal(result.status, 200);
    assert.match(result.providerId ?? '', new RegExp(`^projects/${PROJECT_ID}/messages/.+`));
    const [req] = fake.requestsFor(token);
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/v1/projects/${PROJECT_ID}/messages:send`);
    assert.equal(req.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['x-callwake-call'], 'call-1');
    assert.deepEqual(req.body, push.body);
    assert.equal(req.rawBody, JSON.stringify(push.body));
  });

  const sut = () =>
    overFake<Extract<FcmFault, string>>(fake, nextToken, (token, budgetMs) =>
      send(render(token), budgetMs),
    );

  deadTokenTests(sut, [
    ['unregistered', 404, 'UNREGISTERED'],
    ['sender_id_mismatch', 403, 'SENDER_ID_MISMATCH'],
    ['invalid_token', 400, 'INVALID_ARGUMENT'],
  ]);

  it('keeps reporting a token unregistered for good', async () => {
    const token = nextToken();
    fake.unregister(token);
    for (let i = 0; i < 2; i++) {
      assert.equal((await send(render(token))).kind, 'dead_token');
    }
  });

  it('treats 429 and 5xx as retryable, honouring Retry-After in seconds or as a date', async () => {
    const token = nextToken();
    const date = new Date(Date.now() + 5000).toUTCString();
    fake.script(token, [
      { status: 429, retryAfter: 1 },
      { status: 503, retryAfter: date },
      { status: 500 },
      { status: 502 },
      { status: 504 },
    ]);
    const first = await send(render(token));
    assert.deepEqual(first, {
      kind: 'failed',
      retryable: true,
      status: 429,
      reason: 'QUOTA_EXCEEDED',
      retryAfterMs: 1000,
    });
    const second = await send(render(token));
    assert.ok(second.kind === 'failed' && second.retryable && second.reason === 'UNAVAILABLE');
    assert.ok(second.retryAfterMs !== undefined && second.retryAfterMs > 3000);
    assert.ok(second.retryAfterMs <= 5000);
    for (const [status, reason] of [
      [500, 'INTERNAL'],
      [502, 'http_502'],
      [504, 'DEADLINE_EXCEEDED'],
    ] as const) {
      assert.deepEqual(await send(render(token)), {
        kind: 'failed',
        retryable: true,
        status,
        reason,
      });
    }
    assert.equal((await send(render(token))).kind, 'accepted');
  });

  it('treats a payload FCM rejects as a non-retryable failure, not a dead token', async () => {
    const token = nextToken();
    const bad: Record<string, unknown>[] = [
      { data: { attempt: 1 } },
      { android: { ttl: '30' } },
      { android: { priority: 'urgent' } },
      { topic: 'calls' },
      { data: { blob: 'x'.repeat(4096) } },
      { colour: 'red' },
    ];
    for (const message of bad) {
      const result = await send(render(token, message));
      assert.equal(result.kind, 'failed', JSON.stringify(message));
      assert.ok(!result.retryable);
      assert.equal(result.status, 400);
      assert.match(result.reason, /^INVALID_ARGUMENT/);
    }
    assert.ok(
      (await send(render(token, { android: { ttl: '0.5s', priority: 'normal' } }))).kind ===
        'accepted',
    );
  });

  it('treats 401 and other 403s as non-retryable (a 401 with the same token again is not resent)', async () => {
    const token = nextToken();
    const wrongAuth = new FcmSender({ getAccessToken: () => Promise.resolve('ya29.wrong') });
    const unauth = await wrongAuth.send(render(token), Date.now() + 30_000);
    results.push({ token, result: unauth });
    assert.deepEqual(unauth, {
      kind: 'failed',
      retryable: false,
      status: 401,
      reason: 'UNAUTHENTICATED',
    });
    assert.equal(fake.requestsFor(token).length, 1);
    fake.script(token, [{ status: 403 }]);
    assert.deepEqual(await send(render(token)), {
      kind: 'failed',
      retryable: false,
      status: 403,
      reason: 'PERMISSION_DENIED',
    });
  });

  describe('when FCM refuses the OAuth access token', () => {
    /** A cached token source over the fake's own OAuth, counting fetches. */
    function tokenSource() {
      const source = { fetches: 0, cached: undefined as string | undefined };
      const options = {
        getAccessToken: () => {
          if (source.cached === undefined) {
            source.fetches += 1;
            source.cached = fake.issueAccessToken();
          }
          return Promise.resolve(source.cached);
        },
        invalidateAccessToken: (token: string) => {
          if (source.cached === token) source.cached = undefined;
        },
      };
      return { source, sender: new FcmSender(options) };
    }

    it('a 401 clears the cached access token and the push goes out with a fresh one, within the deadline', async () => {
      const { source, sender: fresh } = tokenSource();
      const before = nextToken();
      assert.equal((await fresh.send(render(before), Date.now() + 30_000)).kind, 'accepted');
      fake.expireAccessTokens();
      const token = nextToken();
      const started = Date.now();
      // Accepted means within the deadline: a late send reports a timeout.
      const result = await fresh.send(render(token), started + 30_000);
      assert.equal(result.kind, 'accepted');
      const [refused, resent, ...more] = fake.requestsFor(token);
      assert.equal(refused?.status, 401);
      assert.equal(resent?.status, 200);
      assert.notEqual(resent.headers.authorization, refused.headers.authorization);
      assert.equal(more.length, 0);
      assert.equal(source.fetches, 2);
    });

    it('answers a stale bearer with Google’s 401 body and WWW-Authenticate', async () => {
      const stale = fake.issueAccessToken();
      fake.expireAccessTokens();
      const res = await fetch(`${origin}/v1/projects/${PROJECT_ID}/messages:send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stale}`, 'content-type': 'application/json' },
        body: JSON.stringify(render(nextToken()).body),
      });
      assert.equal(res.status, 401);
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer realm=.*error="invalid_token"/,
      );
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      assert.equal(error.code, 401);
      assert.equal(error.status, 'UNAUTHENTICATED');
      assert.match(String(error.message), /^Request had invalid authentication credentials\./);
      assert.deepEqual(error.details, [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'ACCESS_TOKEN_EXPIRED',
          domain: 'googleapis.com',
          metadata: {
            method: 'google.firebase.fcm.v1.FcmService.SendMessage',
            service: 'fcm.googleapis.com',
          },
        },
      ]);
    });

    it('reports a second 401 as non-retryable, after one resend', async () => {
      let issued = 0;
      const broken = new FcmSender({
        // A credential FCM never accepts (wrong project, revoked service account).
        getAccessToken: () => Promise.resolve(`ya29.never-valid-${++issued}`),
        invalidateAccessToken: () => undefined,
      });
      const token = nextToken();
      assert.deepEqual(await broken.send(render(token), Date.now() + 30_000), {
        kind: 'failed',
        retryable: false,
        status: 401,
        reason: 'UNAUTHENTICATED',
      });
      assert.equal(fake.requestsFor(token).length, 2);
    });

    it('concurrent sends that meet one stale token make one refetch between them', async () => {
      const { source, sender: shared } = tokenSource();
      assert.equal((await shared.send(render(nextToken()), Date.now() + 30_000)).kind, 'accepted');
      fake.expireAccessTokens();
      const sends = Array.from({ length: 8 }, () =>
        shared.send(render(nextToken()), Date.now() + 30_000),
      );
      assert.deepEqual(
        new Set((await Promise.all(sends)).map((r) => r.kind)),
        new Set(['accepted']),
      );
      assert.equal(source.fetches, 2);
    });
  });

  connectionFailureTests('FCM', sut);

  it('bounds a slow or failing access-token source by the deadline', async () => {
    const token = nextToken();
    const slow = new FcmSender({ getAccessToken: () => new Promise(() => undefined) });
    const started = Date.now();
    // The token source never answers: a result at all means the deadline ended the wait.
    assert.equal((await slow.send(render(token), Date.now() + 200)).kind, 'failed');
    assert.ok(Date.now() - started >= 190);
    const broken = new FcmSender({
      getAccessToken: () => Promise.reject(new Error('no metadata')),
    });
    assert.deepEqual(await broken.send(render(token), Date.now() + 30_000), {
      kind: 'failed',
      retryable: true,
      reason: 'access_token_error',
    });
    assert.equal(fake.requestsFor(token).length, 0);
  });

  it('does not send at all once the deadline has passed', async () => {
    const token = nextToken();
    assert.deepEqual(await send(render(token), -1), {
      kind: 'failed',
      retryable: true,
      reason: 'timeout',
    });
    assert.equal(fake.requestsFor(token).length, 0);
  });

  it('never puts the device token or the access token in a reason', () => {
    assert.ok(results.length > 10);
    for (const { token, result } of results) {
      if (result.kind === 'accepted') continue;
      assert.ok(!result.reason.includes(token), result.reason);
      assert.ok(!result.reason.includes(ACCESS_TOKEN), result.reason);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
