import assert from 'node:assert/strict';
import {
  newPairingCode,
  PAIRING_FAILURES,
  PAIRING_TTL_MS,
} from '../../../../functions/core/access/pairing';
import { windowAt, windowKey } from '../../../../functions/core/access/rateWindow';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';

const KEY = 'k-acme';
const CODE_FORMAT = /^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$/;
const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('pairing routes through the router', () => {
  let ctx: FakeApiContext;
  let alice: string;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
    alice = signIn(ctx, 'uid-alice');
  });

  async function newCode(ext = '100'): Promise<string> {
    const res = await handle(
      apiRequest('POST', `/v1/extensions/${ext}/pairing-codes`, {
        headers: { Authorization: `Bearer ${KEY}` },
      }),
      ctx,
    );
    assert.equal(res.status, 201);
    return res.body.code as string;
  }

  const redeem = (code: string, token = alice) =>
    handle(
      apiRequest('POST', '/v1/app/pair', {
        headers: { Authorization: `Bearer ${token}`, ...JSON_TYPE },
        body: JSON.stringify({ code }),
      }),
      ctx,
    );

  describe('POST /v1/extensions/{ext}/pairing-codes', () => {
    it('issues a one-time code for the extension, valid for 10 minutes', async () => {
      const res = await handle(
        apiRequest('POST', '/v1/extensions/100/pairing-codes', {
          headers: { Authorization: `Bearer ${KEY}` },
        }),
        ctx,
      );
      const code = res.body.code as string;
      assert.match(code, CODE_FORMAT);
      assert.deepEqual(res, {
        status: 201,
        body: {
          code,
          extension: '100',
          tenant: 'acme',
          expires_at: new Date(ctx.clock.now() + 10 * 60_000).toISOString(),
          pair_uri: `callwake://pair?code=${code}&tenant=acme&extension=100`,
        },
      });
      assert.equal(PAIRING_TTL_MS, 600_000);
    });

    it('stores the code by hash only, never in clear', async () => {
      const code = await newCode();
      assert.equal(ctx.pairing.codes.size, 1);
      const [hash, stored] = [...ctx.pairing.codes][0]!;
      assert.match(hash, /^[0-9a-f]{64}$/);
      assert.equal(JSON.stringify(stored).includes(code.replace('-', '')), false);
      assert.deepEqual(stored, {
        tenant: 'acme',
        extension: '100',
        expiresAt: ctx.clock.now() + PAIRING_TTL_MS,
      });
    });

    it('answers 401 without an API key, and to an ID token', async () => {
      const credentials: Record<string, string>[] = [{}, { Authorization: `Bearer ${alice}` }];
      for (const headers of credentials) {
        const res = await handle(
          apiRequest('POST', '/v1/extensions/100/pairing-codes', { headers }),
          ctx,
        );
        assert.equal(res.status, 401);
      }
      assert.equal(ctx.pairing.codes.size, 0);
    });
  });

  describe('newPairingCode', () => {
    it('makes distinct codes of 10 unambiguous characters', () => {
      const codes = new Set(Array.from({ length: 200 }, () => newPairingCode()));
      assert.equal(codes.size, 200);
      for (const code of codes) assert.match(code, CODE_FORMAT);
    });
  });

  describe('POST /v1/app/pair', () => {
    it('makes the signed-in user a member of the extension', async () => {
      const code = await newCode();
      assert.deepEqual(await redeem(code), {
        status: 200,
        body: { status: 'paired', tenant: 'acme', extension: '100', uid: 'uid-alice' },
      });
      assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), true);
    });

    it('accepts the code in lower case, without its dash, or with spaces', async () => {
      for (const variant of [
        (c: string) => c.toLowerCase(),
        (c: string) => c.replace('-', ''),
        (c: string) => c.toLowerCase().replace('-', ' '),
      ]) {
        const code = await newCode();
        const res = await redeem(variant(code));
        assert.equal(res.status, 200, variant(code));
      }
    });

    it('reads a form body too', async () => {
      const code = await newCode();
      const res = await handle(
        apiRequest('POST', '/v1/app/pair', {
          headers: { Authorization: `Bearer ${alice}` },
          body: `code=${code}`,
        }),
        ctx,
      );
      assert.equal(res.status, 200);
    });

    it('is single use: a second redeem answers 404, even for another user', async () => {
      const code = await newCode();
      assert.equal((await redeem(code)).status, 200);
      assert.deepEqual(await redeem(code), {
        status: 404,
        body: {
          error: 'not_found',
          message: 'This pairing code was already used; ask for a new one.',
        },
      });
      const bob = signIn(ctx, 'uid-bob');
      assert.equal((await redeem(code, bob)).status, 404);
      assert.equal(await ctx.members.isMember('acme', '100', 'uid-bob'), false);
    });

    it('answers 404 once the code has expired', async () => {
      const code = await newCode();
      ctx.clock.current += PAIRING_TTL_MS;
      assert.deepEqual(await redeem(code), {
        status: 404,
        body: { error: 'not_found', message: 'This pairing code has expired; ask for a new one.' },
      });
      assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
    });

    it('accepts a code until just before it expires', async () => {
      const code = await newCode();
      ctx.clock.current += PAIRING_TTL_MS - 1;
      assert.equal((await redeem(code)).status, 200);
    });

    it('answers 404 to a wrong code', async () => {
      await newCode();
      assert.deepEqual(await redeem('AAAAA-AAAAA'), {
        status: 404,
        body: { error: 'not_found', message: 'This pairing code is not valid; ask for a new one.' },
      });
    });

    it("after 5 wrong codes of the user's own answers it 429, even to the right code", async () => {
      const code = await newCode();
      assert.equal(PAIRING_FAILURES.limit, 5);
      for (let i = 0; i < 5; i += 1) {
        assert.equal((await redeem('AAAAA-AAAAA')).status, 404, `attempt ${i + 1}`);
      }
      const blocked = await redeem(code);
      assert.deepEqual(blocked, {
        status: 429,
        body: {
          error: 'rate_limited',
          message: 'Too many wrong pairing codes from this account; wait 10 minutes and try again.',
          limit: 'pairing_attempts',
        },
        headers: { 'Retry-After': '600' },
      });
      assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
    });

    it('counts wrong codes per user and lets the user try again in the next window', async () => {
      const code = await newCode();
      for (let i = 0; i < 5; i += 1) await redeem('AAAAA-AAAAA');
      const bob = signIn(ctx, 'uid-bob');
      assert.equal((await redeem(code, bob)).status, 200, 'bob is not blocked by alice');

      const { endsAt } = windowAt(ctx.clock.now(), PAIRING_FAILURES.windowMs);
      ctx.clock.current = endsAt - 1;
      assert.equal((await redeem(await newCode())).status, 429);
      ctx.clock.current = endsAt;
      assert.equal((await redeem(await newCode())).status, 200);
    });

    it('counts parallel guesses atomically: no more than 5 reach the codes', async () => {
      const code = await newCode();
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_v, i) => redeem(`WRONG-GUES${String.fromCharCode(65 + i)}`)),
      );
      const statuses = replies.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 404).length, 5, statuses.join());
      assert.equal(statuses.filter((s) => s === 429).length, 15);
      assert.equal((await redeem(code)).status, 429);
      const key = windowKey('pair:uid-alice', ctx.clock.now(), PAIRING_FAILURES.windowMs);
      assert.equal(ctx.rateLimiter.counts.get(key), 21, 'refused attempts stay counted');
    });

    it("never locks a user out for strangers' wrong codes, named for its extension or not", async () => {
      const code = await newCode();
      const pair = (guess: string, token: string, scoped: boolean) =>
        handle(
          apiRequest('POST', '/v1/app/pair', {
            headers: { Authorization: `Bearer ${token}`, ...JSON_TYPE },
            body: JSON.stringify(
              scoped ? { code: guess, tenant: 'acme', extension: '100' } : { code: guess },
            ),
          }),
          ctx,
        );
      // 40 strangers, 5 wrong codes each: 100 naming extension 100, 100 naming none.
      for (let i = 0; i < 40; i += 1) {
        const stranger = signIn(ctx, `uid-stranger-${i}`);
        for (let g = 0; g < 5; g += 1) {
          assert.equal((await pair('AAAAA-AAAAA', stranger, i % 2 === 0)).status, 404);
        }
        assert.equal((await pair('AAAAA-AAAAA', stranger, true)).status, 429, 'its own sixth');
      }
      assert.equal((await pair(code, alice, true)).status, 200, 'named for its extension');
      const bob = signIn(ctx, 'uid-bob');
      assert.equal((await pair(await newCode(), bob, false)).status, 200, 'a code alone');
    });

    it('refuses a code named for another extension, and leaves it unused', async () => {
      const code = await newCode('200');
      const wrongTarget = await handle(
        apiRequest('POST', '/v1/app/pair', {
          headers: { Authorization: `Bearer ${alice}`, ...JSON_TYPE },
          body: JSON.stringify({ code, tenant: 'acme', extension: '100' }),
        }),
        ctx,
      );
      assert.equal(wrongTarget.status, 404);
      assert.equal(await ctx.members.isMember('acme', '100', 'uid-alice'), false);
      assert.equal((await redeem(code)).status, 200, 'still unused');
      assert.equal(await ctx.members.isMember('acme', '200', 'uid-alice'), true);
    });

    it('gives back the attempt of a code that worked', async () => {
      for (let i = 0; i < 7; i += 1) assert.equal((await redeem(await newCode())).status, 200);
      const key = windowKey('pair:uid-alice', ctx.clock.now(), PAIRING_FAILURES.windowMs);
      assert.equal(ctx.rateLimiter.counts.get(key), 0);
    });

    it('answers 400 to a tenant without an extension, or the reverse', async () => {
      const code = await newCode();
      for (const body of [
        { code, tenant: 'acme' },
        { code, extension: '100' },
      ]) {
        const res = await handle(
          apiRequest('POST', '/v1/app/pair', {
            headers: { Authorization: `Bearer ${alice}`, ...JSON_TYPE },
            body: JSON.stringify(body),
          }),
          ctx,
        );
        assert.equal(res.status, 400, JSON.stringify(res.body));
      }
      assert.equal((await redeem(code)).status, 200, 'the code was not used up');
    });

    it('answers 401 to an API key, a missing token or a refused token', async () => {
      const code = await newCode();
      const forged = 'eyJhbGciOiJub25lIn0.eyJ1aWQiOiJtYWxsb3J5In0.sig';
      for (const token of [KEY, '', forged]) {
        const res = await handle(
          apiRequest('POST', '/v1/app/pair', {
            headers: token ? { Authorization: `Bearer ${token}` } : {},
            body: `code=${code}`,
          }),
          ctx,
        );
        assert.equal(res.status, 401, token);
      }
      assert.equal((await redeem(code)).status, 200, 'the code was not used up');
    });

    it('answers 400 to something that is not a pairing code', async () => {
      for (const code of ['', 'a'.repeat(33), 'ABCDE/FGHJK']) {
        const res = await redeem(code);
        assert.equal(res.status, 400, code);
        assert.deepEqual(Object.keys(res.body.details as object), ['code']);
      }
    });
  });
});
