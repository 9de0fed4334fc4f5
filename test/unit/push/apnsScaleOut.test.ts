import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { ApnsEnv } from '../../../functions/core/send/push';
import { ApnsSender } from '../../../functions/push/apnsSender';
import { TOKEN_WINDOW_MS } from '../../../functions/push/apnsProviderToken';
import { ApnsWorld, MIN_UPDATE_INTERVAL_MS } from '../../support/apnsWorld';
import { FakeApns } from '../../support/fakeApns';
import { KEY_ID, ManualClock, TEAM_ID, es256Key, newDeviceToken, renderVoip } from './apnsFixtures';

const MINUTE = 60_000;

/** One provider token per team, however many instances send. */
describe('APNs provider tokens under scale-out', () => {
  const key = es256Key();
  // A window boundary a little in the past, so the tokens' iat are never in Apple's future.
  const boundary = Math.floor(Date.now() / TOKEN_WINDOW_MS) * TOKEN_WINDOW_MS - TOKEN_WINDOW_MS;
  let clock: ManualClock;
  let world: ApnsWorld;
  let production: FakeApns;
  let sandbox: FakeApns;
  let origins: Record<ApnsEnv, string>;
  const senders: ApnsSender[] = [];

  beforeEach(async () => {
    clock = new ManualClock(boundary + 10 * MINUTE);
    world = new ApnsWorld({ clock: clock.now });
    const options = { keyId: KEY_ID, teamId: TEAM_ID, publicKey: key.publicKey, world };
    production = new FakeApns({ ...options, environment: 'production' });
    sandbox = new FakeApns({ ...options, environment: 'sandbox' });
    origins = {
      production: (await production.start()).origin,
      sandbox: (await sandbox.start()).origin,
    };
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.close()));
    await Promise.all([production.close(), sandbox.close()]);
  });

  /** A new instance: its own sender, connections and token state, on the shared clock. */
  function instance(): ApnsSender {
    const sender = new ApnsSender({
      key: key.privateKey,
      keyId: KEY_ID,
      teamId: TEAM_ID,
      origins,
      ca: production.ca,
      clock: clock.now,
    });
    senders.push(sender);
    return sender;
  }
  const push = (sender: ApnsSender, env: ApnsEnv = 'production') => {
    const token = newDeviceToken();
    if (env === 'sandbox') sandbox.register(token);
    return sender.send(renderVoip(token, {}, env), Date.now() + 30_000);
  };
  const jwts = () => new Set([...production.requests, ...sandbox.requests].map((r) => r.jwt));

  it('eight instances sending in the same window present one provider token, and Apple sees no TooManyProviderTokenUpdates', async () => {
    const fleet = Array.from({ length: 8 }, instance);
    const results = await Promise.all(
      fleet.flatMap((sender) => [push(sender), push(sender), push(sender, 'sandbox')]),
    );
    assert.deepEqual(new Set(results.map((r) => r.kind)), new Set(['accepted']));
    assert.equal(jwts().size, 1);
    assert.equal(world.updates(TEAM_ID).length, 1);
    assert.equal(world.refusedUpdates(TEAM_ID), 0);
  });

  it('a token update Apple refuses backs off to the token it took, signing nothing new', async () => {
    // A quiet window: the first push comes a minute before its end.
    clock.ms = boundary + 30 * MINUTE;
    const early = instance();
    assert.equal((await push(early)).kind, 'accepted');
    const [taken] = world.updates(TEAM_ID);
    // Two minutes later the next window has begun: its token would be a second update within
    // 20 minutes. Apple refuses it; the push goes out at once with the token Apple took.
    clock.advance(2 * MINUTE);
    const cold = instance();
    assert.equal((await push(early)).kind, 'accepted');
    assert.equal((await push(cold)).kind, 'accepted');
    assert.equal(world.updates(TEAM_ID).length, 1);
    assert.equal(world.refusedUpdates(TEAM_ID), 2);
    // Both instances keep presenting that token (no refused request, nothing new signed)...
    assert.equal((await push(early)).kind, 'accepted');
    assert.equal((await push(cold, 'sandbox')).kind, 'accepted');
    assert.equal(world.refusedUpdates(TEAM_ID), 2);
    assert.equal(jwts().size, 2);
    // ...until 20 minutes have passed; then the new window's token is taken, once.
    clock.advance(MIN_UPDATE_INTERVAL_MS);
    await Promise.all([push(early), push(cold), push(instance())]);
    const updates = world.updates(TEAM_ID);
    assert.equal(updates.length, 2);
    assert.ok(updates[1]!.at - updates[0]!.at >= MIN_UPDATE_INTERVAL_MS);
    assert.notEqual(updates[1]!.jwt, taken!.jwt);
    assert.equal(world.refusedUpdates(TEAM_ID), 2);
    assert.equal(jwts().size, 2);
  });

  it('moves every instance to one replacement when Apple refuses the window’s token for good', async () => {
    const fleet = Array.from({ length: 4 }, instance);
    assert.equal((await push(fleet[0]!)).kind, 'accepted');
    const [first] = world.updates(TEAM_ID);
    world.expire(TEAM_ID, first!.jwt);
    const results = await Promise.all(fleet.flatMap((sender) => [push(sender), push(sender)]));
    assert.deepEqual(new Set(results.map((r) => r.kind)), new Set(['accepted']));
    // Each push met the refusal at most once, and all took the same replacement.
    const updates = world.updates(TEAM_ID);
    assert.equal(updates.length, 2);
    const refusals = production.requests.filter((r) => r.reason === 'ExpiredProviderToken');
    assert.ok(refusals.length > 0 && refusals.length <= results.length);
    assert.equal(world.refusedUpdates(TEAM_ID), 0);
    const later = production.requests.filter((r) => r.status === 200).slice(1);
    assert.deepEqual(new Set(later.map((r) => r.jwt)), new Set([updates[1]!.jwt]));
  });

  it('reports TooManyProviderTokenUpdates as retryable with a delay when no older token is taken', async () => {
    // Another deployment with the same key signed its own token a minute ago.
    const other = otherServerJwt(key.privateKey, clock.ms - MINUTE);
    assert.equal(world.judge(TEAM_ID, other, Math.floor((clock.ms - MINUTE) / 1000)), 'ok');
    const sender = instance();
    const result = await push(sender);
    assert.deepEqual(result, {
      kind: 'failed',
      retryable: true,
      status: 429,
      reason: 'TooManyProviderTokenUpdates',
      retryAfterMs: 5_000,
    });
    // It tried our window's token, then the previous window's, and signs nothing more.
    const tried = production.requests.map((r) => r.jwt);
    assert.equal(new Set(tried).size, 2);
    await push(sender);
    assert.equal(new Set(production.requests.map((r) => r.jwt)).size, 2);
    clock.advance(MIN_UPDATE_INTERVAL_MS);
    assert.equal((await push(sender)).kind, 'accepted');
  });
});

/** A provider token signed the usual way (random nonce), as an uncoordinated server would. */
function otherServerJwt(privateKey: string, issuedAt: number): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid: KEY_ID })}.${enc({ iss: TEAM_ID, iat: Math.floor(issuedAt / 1000) })}`;
  const signature = crypto.sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}
