import assert from 'node:assert/strict';
import { incomingCallPayload } from '../../../functions/core/render/payload';
import { hmsRequest } from '../../../functions/core/render/pushEnvelopes';
import { AccessTokenCache } from '../../../functions/push/accessTokenCache';
import { fetchHmsAccessToken } from '../../../functions/push/hmsAccessToken';
import { HmsSender, mapHmsAnswer } from '../../../functions/push/hmsSender';
import { FakeHms } from '../../support/fakeHms';
import { hmsToken } from '../../support/ids';
import { ringingCall } from '../core/fixtures';

const CLIENT_ID = '101234567';
const SECRET = 'hms-client-secret';

describe('HmsSender against the fake HMS Push Kit (OAuth client credentials, messages:send)', () => {
  const call = ringingCall({ expiresAt: Date.now() + 30_000 });
  let fake: FakeHms;
  let origin = '';

  const senderFor = (secret = SECRET) =>
    new HmsSender(
      new AccessTokenCache(() =>
        fetchHmsAccessToken(`${origin}/oauth2/v3/token`, CLIENT_ID, secret),
      ),
    );
  const push = (token: string, data = incomingCallPayload(call)) =>
    hmsRequest(call, { origin, clientId: CLIENT_ID }, token, 25, data);

  beforeEach(async () => {
    fake = new FakeHms({ clientId: CLIENT_ID, clientSecret: SECRET });
    ({ origin } = await fake.start());
  });
  afterEach(async () => {
    await fake.close();
  });

  it('fetches one bearer for concurrent pushes and sends the data message Huawei takes', async () => {
    const sender = senderFor();
    const tokens = Array.from({ length: 5 }, () => hmsToken());
    const results = await Promise.all(tokens.map((t) => sender.send(push(t), Date.now() + 5_000)));
    assert.ok(results.every((r) => r.kind === 'accepted' && r.status === 200 && r.providerId));
    assert.equal(fake.tokenRequests, 1, 'one OAuth request, shared');
    const [request] = fake.requestsFor(tokens[0]!);
    assert.ok(request);
    assert.deepEqual(request.data, incomingCallPayload(call));
    assert.equal(request.code, '80000000');
  });

  it('refreshes a bearer Huawei says expired, once, and fails when the fresh one is refused too', async () => {
    const sender = senderFor();
    const token = hmsToken();
    assert.equal((await sender.send(push(token), Date.now() + 5_000)).kind, 'accepted');
    fake.expireAccessTokens();
    assert.equal((await sender.send(push(token), Date.now() + 5_000)).kind, 'accepted');
    assert.deepEqual(
      fake.requestsFor(token).map((r) => r.code),
      ['80000000', '80200003', '80000000'],
    );
    assert.equal(fake.tokenRequests, 2);

    const stillExpiring = new FakeHms({
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      tokenLifetimeS: 0,
    });
    const { origin: other } = await stillExpiring.start();
    const sender2 = new HmsSender(
      new AccessTokenCache(() =>
        fetchHmsAccessToken(`${other}/oauth2/v3/token`, CLIENT_ID, SECRET),
      ),
    );
    const result = await sender2.send(
      hmsRequest(
        call,
        { origin: other, clientId: CLIENT_ID },
        token,
        25,
        incomingCallPayload(call),
      ),
      Date.now() + 5_000,
    );
    await stillExpiring.close();
    assert.deepEqual(result, {
      kind: 'failed',
      retryable: false,
      status: 401,
      reason: 'oauth_token_expired',
    });
    assert.equal(stillExpiring.requests.length, 2, 'one refresh, not a loop');
  });

  it('maps Huawei’s answers: invalid token, flow control, too big, wrong credentials', async () => {
    const sender = senderFor();
    const invalid = hmsToken();
    fake.unregister(invalid);
    assert.deepEqual(await sender.send(push(invalid), Date.now() + 5_000), {
      kind: 'dead_token',
      status: 200,
      reason: 'invalid_token',
    });
    const busy = hmsToken();
    fake.script(busy, [{ status: 503, retryAfter: 2 }]);
    assert.deepEqual(await sender.send(push(busy), Date.now() + 5_000), {
      kind: 'failed',
      retryable: true,
      status: 503,
      reason: 'http_503',
      retryAfterMs: 2000,
    });
    const big = { ...incomingCallPayload(call), caller_name: 'x'.repeat(4200) };
    assert.deepEqual(await sender.send(push(hmsToken(), big), Date.now() + 5_000), {
      kind: 'failed',
      retryable: false,
      status: 200,
      reason: 'message_too_big',
    });
    assert.deepEqual(await senderFor('wrong').send(push(hmsToken()), Date.now() + 5_000), {
      kind: 'failed',
      retryable: true,
      reason: 'access_token_error',
    });
  });

  it('gives up at the deadline on a Huawei that never answers', async () => {
    const token = hmsToken();
    fake.script(token, ['hang']);
    const started = Date.now();
    assert.deepEqual(await senderFor().send(push(token), started + 300), {
      kind: 'failed',
      retryable: true,
      reason: 'timeout',
    });
    assert.ok(Date.now() - started < 2_000);
  });

  it('reads 80100000 (some tokens refused) by whether ours is among illegal_tokens', () => {
    const answer = (illegal: string[]) => ({
      status: 200,
      code: '80100000',
      detail: { success: 1, failure: illegal.length, illegal_tokens: illegal },
      requestId: 'r',
      retryAfter: null,
    });
    assert.equal(mapHmsAnswer(answer(['ours']), 'ours').kind, 'dead_token');
    assert.equal(mapHmsAnswer(answer(['theirs']), 'ours').kind, 'accepted');
  });
});
