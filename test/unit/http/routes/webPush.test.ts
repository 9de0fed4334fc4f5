import assert from 'node:assert/strict';
import { handle } from '../../../../functions/http/router';
import {
  apiRequest,
  fakeApiContext,
  signIn,
  TEST_VAPID_PUBLIC_KEY,
  type FakeApiContext,
} from '../../../support/fakes';

const KEY = 'k-acme';

describe('the VAPID public key routes', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
  });

  const get = (path: string, bearer: string, method = 'GET') =>
    handle(apiRequest(method, path, { headers: { Authorization: `Bearer ${bearer}` } }), ctx);

  it('gives the PBX the key, by GET or POST (Kamailio), and an ID token nothing there', async () => {
    for (const method of ['GET', 'POST']) {
      assert.deepEqual(await get('/v1/webpush/public-key', KEY, method), {
        status: 200,
        body: { public_key: TEST_VAPID_PUBLIC_KEY },
      });
    }
    const user = signIn(ctx, 'uid-alice');
    assert.equal((await get('/v1/webpush/public-key', user)).status, 401);
  });

  it('gives a browser the key once its user is a member of an extension, and the PBX nothing there', async () => {
    const alice = signIn(ctx, 'uid-alice');
    assert.equal((await get('/v1/app/webpush/public-key', alice)).status, 403);
    await ctx.members.add('acme', '100', 'uid-alice', 'pairing');
    assert.deepEqual(await get('/v1/app/webpush/public-key', alice), {
      status: 200,
      body: { public_key: TEST_VAPID_PUBLIC_KEY },
    });
    assert.equal((await get('/v1/app/webpush/public-key', KEY)).status, 401);
  });

  it('answers 404 where Web Push is not set up', async () => {
    ctx.vapidPublicKey = () => null;
    assert.equal((await get('/v1/webpush/public-key', KEY)).status, 404);
    ctx.vapidPublicKey = () => TEST_VAPID_PUBLIC_KEY;
    ctx.pushDeployment = { ...ctx.pushDeployment, providers: new Set(['fcm', 'apns']) };
    assert.equal((await get('/v1/webpush/public-key', KEY)).status, 404);
  });
});
