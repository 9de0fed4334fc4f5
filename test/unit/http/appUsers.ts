import { fakeApiContext, signIn, type FakeApiContext } from '../../support/fakes';

/** The app users of the route tests: their ID tokens, over one fake API. */
export interface AppUsers {
  ctx: FakeApiContext;
  alice: string;
  bob: string;
}

/**
 * A fake API for tenant acme, reached with the API key `key`, where alice and bob are signed in
 * and members of extension 100 (they paired).
 */
export async function aliceAndBobOn100(key: string): Promise<AppUsers> {
  const ctx = fakeApiContext({ [key]: 'acme' });
  const alice = signIn(ctx, 'uid-alice');
  const bob = signIn(ctx, 'uid-bob');
  await ctx.members.add('acme', '100', 'uid-alice', 'pairing');
  await ctx.members.add('acme', '100', 'uid-bob', 'pairing');
  return { ctx, alice, bob };
}
