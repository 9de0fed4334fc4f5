import assert from 'node:assert/strict';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import * as tokens from '../../../functions/push/fcmAccessToken';
import { AccessTokenCache, type OAuthAccessToken } from '../../../functions/push/accessTokenCache';
import { ManualClock } from './apnsFixtures';
import { PROJECT_ID } from '../../support/project';

/** A token source that counts its fetches and answers when told to. */
function oauthServer() {
  const state = { fetches: 0, pending: [] as ((t: OAuthAccessToken) => void)[] };
  const fetchToken = () =>
    new Promise<OAuthAccessToken>((resolve) => {
      state.fetches += 1;
      state.pending.push(resolve);
    });
  const answerAll = () => {
    for (const resolve of state.pending.splice(0)) {
      resolve({ access_token: `ya29.token-${state.fetches}`, expires_in: 3600 });
    }
  };
  return { state, fetchToken, answerAll };
}

describe('AccessTokenCache', () => {
  it('concurrent first calls share one token fetch', async () => {
    const oauth = oauthServer();
    const cache = new AccessTokenCache(oauth.fetchToken);
    const waiting = Array.from({ length: 20 }, () => cache.get());
    oauth.answerAll();
    const got = await Promise.all(waiting);
    assert.equal(oauth.state.fetches, 1);
    assert.deepEqual(new Set(got), new Set(['ya29.token-1']));
  });

  it('a token FCM refused is dropped, once, however many sends saw the 401', async () => {
    const oauth = oauthServer();
    const cache = new AccessTokenCache(oauth.fetchToken);
    const first = cache.get();
    oauth.answerAll();
    const stale = await first;
    for (let i = 0; i < 5; i++) cache.invalidate(stale);
    const fresh = Array.from({ length: 5 }, () => cache.get());
    oauth.answerAll();
    assert.deepEqual(new Set(await Promise.all(fresh)), new Set(['ya29.token-2']));
    // A late 401 for the stale token leaves the fresh one alone.
    cache.invalidate(stale);
    assert.equal(await cache.get(), 'ya29.token-2');
    assert.equal(oauth.state.fetches, 2);
  });

  it('keeps a token until five minutes before it expires', async () => {
    const clock = new ManualClock(1_000_000);
    const oauth = oauthServer();
    const cache = new AccessTokenCache(oauth.fetchToken, clock.now);
    const first = cache.get();
    oauth.answerAll();
    await first;
    clock.advance(55 * 60_000 - 1);
    assert.equal(await cache.get(), 'ya29.token-1');
    clock.advance(1);
    const renewed = cache.get();
    oauth.answerAll();
    assert.equal(await renewed, 'ya29.token-2');
  });

  it('does not cache a failed fetch: every waiter sees the failure, the next call tries again', async () => {
    let calls = 0;
    const cache = new AccessTokenCache(() => {
      calls += 1;
      return calls === 1
        ? Promise.reject(new Error('metadata server unavailable'))
        : Promise.resolve({ access_token: 'ya29.after-failure', expires_in: 3600 });
    });
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(await cache.get(), 'ya29.after-failure');
    assert.equal(calls, 2);
  });
});

describe('fcmAccessToken (the app credential, as deployed)', () => {
  let app: App;
  let fetches = 0;
  let next = 0;

  before(() => {
    // The functions' default app, with a credential that counts what it is asked for.
    const credential = {
      getAccessToken: async (): Promise<OAuthAccessToken> => {
        fetches += 1;
        next += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return { access_token: `ya29.app-${next}`, expires_in: 3600 };
      },
    };
    app = initializeApp({ credential, projectId: PROJECT_ID });
  });
  after(async () => {
    await deleteApp(app);
  });

  it('a burst of first sends fetches one token; a refused one is fetched again once', async () => {
    const burst = await Promise.all(Array.from({ length: 10 }, () => tokens.fcmAccessToken()));
    assert.equal(fetches, 1);
    assert.deepEqual(new Set(burst), new Set(['ya29.app-1']));
    tokens.fcmAccessTokens.invalidate('ya29.app-1');
    const after401 = await Promise.all(Array.from({ length: 10 }, () => tokens.fcmAccessToken()));
    assert.deepEqual(new Set(after401), new Set(['ya29.app-2']));
    assert.equal(fetches, 2);
  });
});
