import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import { identify, memberTenant, requireUser } from '../../../functions/http/identity';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../support/fakes';

const KEY = 'k-acme';
const bearer = (credential: string) => ({ headers: { Authorization: `Bearer ${credential}` } });

/** Asserts that `promise` rejects with an AppError of `code` (and `message`, when given). */
async function rejectsWith(promise: Promise<unknown>, code: string, message?: string) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

describe('identify', () => {
  let ctx: FakeApiContext;
  let alice: string;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
    alice = signIn(ctx, 'uid-alice');
  });

  it('reads a JWT-shaped bearer as an ID token and returns its user', async () => {
    assert.match(alice, /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/);
    const req = apiRequest('POST', '/v1/app/pair', bearer(alice));
    assert.deepEqual(await identify(req, ctx, true), { kind: 'app', uid: 'uid-alice' });
    assert.deepEqual(await identify(req, ctx, false), { kind: 'app', uid: 'uid-alice' });
  });

  it('accepts the ID token from X-Api-Key as well', async () => {
    const req = apiRequest('POST', '/x', { headers: { 'X-Api-Key': alice } });
    assert.deepEqual(await identify(req, ctx, false), { kind: 'app', uid: 'uid-alice' });
  });

  it('answers 401 for an ID token the verifier refuses, even where API keys are allowed', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJ1aWQiOiJtYWxsb3J5In0.sig';
    for (const allowApiKey of [true, false]) {
      await rejectsWith(
        identify(apiRequest('POST', '/x', bearer(forged)), ctx, allowApiKey),
        'unauthenticated',
        'The ID token is not valid or has expired; sign in again.',
      );
    }
  });

  it('reads anything else as an API key where one is allowed', async () => {
    const caller = await identify(apiRequest('POST', '/x', bearer(KEY)), ctx, true);
    assert.deepEqual(caller, { kind: 'pbx', tenant: { id: 'acme' } });
  });

  it('answers 401 for an unknown API key', async () => {
    await rejectsWith(
      identify(apiRequest('POST', '/x', bearer('k-nope')), ctx, true),
      'unauthenticated',
      'The API key is not valid.',
    );
  });

  it('answers 401 for a valid API key where only a signed-in user may call', async () => {
    await rejectsWith(
      identify(apiRequest('POST', '/x', bearer(KEY)), ctx, false),
      'unauthenticated',
      'Sign in: send the Firebase ID token as Authorization: Bearer <token>.',
    );
  });

  it('does not read a token that merely starts like a JWT as one', async () => {
    // Two segments: not a JWT, so an API key that the fake does not know.
    const req = apiRequest('POST', '/x', bearer('eyJhbGciOiJub25lIn0.eyJ1aWQiOiJ4In0'));
    await rejectsWith(identify(req, ctx, true), 'unauthenticated', 'The API key is not valid.');
  });

  it('answers 401 without any credential, saying what to send', async () => {
    await rejectsWith(
      identify(apiRequest('POST', '/x'), ctx, true),
      'unauthenticated',
      'Send a Firebase ID token or an API key: Authorization: Bearer <token>.',
    );
    await rejectsWith(
      identify(apiRequest('POST', '/x'), ctx, false),
      'unauthenticated',
      'Sign in: send the Firebase ID token as Authorization: Bearer <token>.',
    );
  });
});

describe('requireUser', () => {
  it("returns the signed-in user's uid and refuses an API key", async () => {
    const ctx = fakeApiContext({ [KEY]: 'acme' });
    const token = signIn(ctx, 'uid-bob');
    assert.equal(await requireUser(apiRequest('GET', '/x', bearer(token)), ctx), 'uid-bob');
    await rejectsWith(requireUser(apiRequest('GET', '/x', bearer(KEY)), ctx), 'unauthenticated');
    await rejectsWith(requireUser(apiRequest('GET', '/x'), ctx), 'unauthenticated');
  });
});

describe('memberTenant', () => {
  let ctx: FakeApiContext;

  beforeEach(async () => {
    ctx = fakeApiContext();
    await ctx.members.add('acme', '100', 'uid-alice', 'invitation');
    await ctx.members.add('acme', '200', 'uid-alice', 'invitation');
    await ctx.members.add('globex', '200', 'uid-alice', 'pairing');
  });

  it('finds the only tenant where the user is a member of the extension', async () => {
    assert.equal(await memberTenant(ctx, 'uid-alice', '100'), 'acme');
  });

  it('checks the tenant named', async () => {
    assert.equal(await memberTenant(ctx, 'uid-alice', '200', 'globex'), 'globex');
    assert.equal(await memberTenant(ctx, 'uid-alice', '100', 'acme'), 'acme');
    await rejectsWith(
      memberTenant(ctx, 'uid-alice', '100', 'globex'),
      'permission_denied',
      'You are not a member of extension 100.',
    );
  });

  it('asks for the tenant when the extension exists in several of the user’s tenants', async () => {
    await rejectsWith(
      memberTenant(ctx, 'uid-alice', '200'),
      'invalid_argument',
      'tenant: is required (extension 200 exists in several tenants)',
    );
  });

  it('answers 403 to a user who is not a member', async () => {
    await rejectsWith(memberTenant(ctx, 'uid-alice', '300'), 'permission_denied');
    await rejectsWith(memberTenant(ctx, 'uid-mallory', '100'), 'permission_denied');
    await rejectsWith(memberTenant(ctx, 'uid-mallory', '100', 'acme'), 'permission_denied');
  });
});
