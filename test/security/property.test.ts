import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deleteDoc, doc, getDoc, setDoc, updateDoc } from 'firebase/firestore';
import type { TestApp } from '../support/app';
import { db } from '../support/emulator';
import { api, type Reply } from '../support/http';
import { fcmToken } from '../support/ids';
import { asUser, closeWorld, makeWorld, seedDeviceId, wholeTenant, type World } from './world';

/**
 * Random sequences of operations by random principals through both doors (the HTTPS API and
 * the Firestore SDK under the rules), checked after every step against one invariant: a
 * principal changes only what it owns, a PBX only its own tenant. The one exception is the
 * token move by design: registering a token takes it off the device that held it.
 */

const USERS = ['m100', 'victim', 'm200', 'mB', 'outsider', 'anonymous', 'signedOut'] as const;
const PBXS = ['pbxA', 'pbxB'] as const;
type User = (typeof USERS)[number];
type Pbx = (typeof PBXS)[number];
type Who = User | Pbx;
type TenantName = 'a' | 'b';

const IDS = ['d1', 'd2', 'd3'] as const;
const EXTS = ['100', '200', '300'] as const;
/** Memberships never change during the property: who belongs where. */
const MEMBERS: Record<TenantName, Record<string, User[]>> = {
  a: { '100': ['m100', 'victim'], '200': ['m200'] },
  b: { '100': ['mB'] },
};
const NUM_RUNS = 300;
const TOKENS = 3;

type Op =
  | { kind: 'appPut'; who: User; id: string; ext: string; token: number }
  | { kind: 'appDelete'; who: User; id: string }
  | { kind: 'pbxPut'; who: Pbx; id: string; ext: string; token: number }
  | { kind: 'pbxDelete'; who: Pbx; id: string; ext: string }
  | { kind: 'seedRegister'; who: Who; ext: string; token: number }
  | { kind: 'seedUnregister'; who: Who; ext: string; token: number }
  | {
      kind: 'sdkSet' | 'sdkUpdate' | 'sdkDelete' | 'sdkGet';
      who: User;
      tenant: TenantName;
      id: string;
      ext: string;
      token: number;
    };

interface Seeded {
  tenant: TenantName;
  id: string;
  ext: string;
  owner: number;
  token: number;
}

type Doc = Record<string, unknown>;
type State = Record<TenantName, Map<string, Doc>>;
type Outcome = { status: number } | { sdk: string };

const anyone = fc.constantFrom(...USERS);
// Mostly members (whose writes may go through), sometimes anyone: a non-vacuous mix.
const user = fc.oneof(
  { arbitrary: fc.constantFrom<User>('m100', 'victim', 'm200', 'mB'), weight: 4 },
  { arbitrary: anyone, weight: 1 },
);
const pbx = fc.constantFrom(...PBXS);
const id = fc.constantFrom(...IDS);
// Mostly 100, where three of the four members belong, so member writes often go through.
const ext = fc.oneof(
  { arbitrary: fc.constant<string>('100'), weight: 3 },
  { arbitrary: fc.constantFrom<string>(...EXTS), weight: 2 },
);
// Few tokens, so registrations often present one another device holds (a token move).
const token = fc.nat({ max: TOKENS - 1 });
const who = fc.oneof(user, pbx);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('appPut' as const), who: user, id, ext, token }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('appDelete' as const), who: user, id }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('pbxPut' as const), who: pbx, id, ext, token }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('pbxDelete' as const), who: pbx, id, ext }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('seedRegister' as const), who, ext, token }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('seedUnregister' as const), who, ext, token }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'sdkSet' as const,
        'sdkUpdate' as const,
        'sdkDelete' as const,
        'sdkGet' as const,
      ),
      who: anyone,
      tenant: fc.constantFrom<TenantName>('a', 'b'),
      id,
      ext,
      token,
    }),
    weight: 3,
  },
);
const seededArb = fc.array(
  fc.record({
    tenant: fc.constantFrom<TenantName>('a', 'b'),
    id,
    ext,
    owner: fc.nat({ max: 2 }),
    token,
  }),
  { maxLength: 5 },
);

describe('security property: a principal changes only what it owns, a PBX only its tenant (emulators)', function () {
  // 300 sequences take about 75 s on a quiet machine; a busy 2-core one may take many times that.
  this.timeout(30 * 60_000);
  let w: World;
  const tokens = Array.from({ length: TOKENS }, () => fcmToken());
  const stats = { runs: 0, ops: 0, allowed: 0, refused: 0, moves: 0 };

  before(async () => {
    w = await makeWorld();
  });
  after(async () => {
    await closeWorld(w);
  });

  const tenantId = (t: TenantName) => (t === 'a' ? w.a.id : w.b.id);
  const app = (who: User): TestApp => w[who];
  const uidOf = (who: User) => app(who).uid;
  const pbxTenant = (who: Pbx): TenantName => (who === 'pbxA' ? 'a' : 'b');
  const keyOf = (who: Pbx) => (who === 'pbxA' ? w.a.key : w.b.key);

  /** The tenant in which `who` is a member of `extension`, if any. */
  function memberTenant(who: User, extension: string): TenantName | undefined {
    return (['a', 'b'] as const).find((t) => MEMBERS[t][extension]?.includes(who));
  }
  const isMember = (who: User, t: TenantName, extension: string) =>
    MEMBERS[t][extension]?.includes(who) ?? false;
  const ownerWho = (t: TenantName, ownerUid: unknown): User | undefined =>
    USERS.find((u) => u !== 'signedOut' && uidOf(u) === ownerUid && memberTenantOf(u) === t);
  const memberTenantOf = (who: User): TenantName | undefined =>
    (['a', 'b'] as const).find((t) => Object.values(MEMBERS[t]).some((m) => m.includes(who)));

  async function snapshot(): Promise<State> {
    const [a, b] = await Promise.all(
      (['a', 'b'] as const).map((t) =>
        db()
          .collection(`tenants/${tenantId(t)}/devices`)
          .get(),
      ),
    );
    const toMap = (snap: typeof a) =>
      new Map(snap!.docs.map((d) => [d.id, d.data()] as [string, Doc]));
    return { a: toMap(a), b: toMap(b) };
  }

  /** Empties both tenants' devices, then stores `seeded` as the server would have. */
  async function reset(seeded: Seeded[]): Promise<void> {
    const batch = db().batch();
    const current = await snapshot();
    for (const t of ['a', 'b'] as const) {
      for (const key of current[t].keys()) {
        batch.delete(db().doc(`tenants/${tenantId(t)}/devices/${key}`));
      }
    }
    const seen = new Set<string>();
    for (const s of seeded) {
      // Unique ids and tokens per tenant, owners only on their extensions: what the server keeps.
      if (seen.has(`${s.tenant}/id/${s.id}`) || seen.has(`${s.tenant}/token/${s.token}`)) continue;
      seen.add(`${s.tenant}/id/${s.id}`);
      seen.add(`${s.tenant}/token/${s.token}`);
      const owners = [null, ...(MEMBERS[s.tenant][s.ext] ?? [])];
      const owner = owners[s.owner % owners.length] ?? null;
      const now = Date.now();
      batch.set(db().doc(`tenants/${tenantId(s.tenant)}/devices/${s.id}`), {
        deviceId: s.id,
        extension: s.ext,
        platform: 'android',
        apnsEnv: 'production',
        fcmToken: tokens[s.token],
        lastSeenAt: now,
        createdAt: now,
        ...(owner ? { ownerUid: uidOf(owner) } : {}),
      });
    }
    await batch.commit();
  }

  const form = (extension: string, t: number) => ({
    extension,
    platform: 'android',
    fcm_token: tokens[t]!,
  });

  async function asWho(who: Who, method: string, path: string, json: unknown): Promise<Reply> {
    if (who === 'pbxA' || who === 'pbxB') return api(method, path, { key: keyOf(who), json });
    if (who === 'signedOut') return api(method, path, { json });
    return asUser(app(who), method, path, { json });
  }

  async function perform(op: Op): Promise<Outcome> {
    const status = async (reply: Promise<Reply>) => ({ status: (await reply).status });
    switch (op.kind) {
      case 'appPut':
        if (op.who === 'signedOut') {
          return status(api('PUT', `/v1/app/devices/${op.id}`, { form: form(op.ext, op.token) }));
        }
        return status(
          asUser(app(op.who), 'PUT', `/v1/app/devices/${op.id}`, { form: form(op.ext, op.token) }),
        );
      case 'appDelete':
        if (op.who === 'signedOut') return status(api('DELETE', `/v1/app/devices/${op.id}`));
        return status(asUser(app(op.who), 'DELETE', `/v1/app/devices/${op.id}`));
      case 'pbxPut':
        return status(
          api('PUT', `/v1/extensions/${op.ext}/devices/${op.id}`, {
            key: keyOf(op.who),
            form: { platform: 'android', fcm_token: tokens[op.token]! },
          }),
        );
      case 'pbxDelete':
        return status(
          api('DELETE', `/v1/extensions/${op.ext}/devices/${op.id}`, { key: keyOf(op.who) }),
        );
      case 'seedRegister':
        return status(asWho(op.who, 'POST', '/api/register-fcm-token', form(op.ext, op.token)));
      case 'seedUnregister':
        return status(
          asWho(op.who, 'POST', '/api/unregister-fcm-token', {
            extension: op.ext,
            fcm_token: tokens[op.token],
          }),
        );
      default: {
        const ref = doc(app(op.who).db, `tenants/${tenantId(op.tenant)}/devices/${op.id}`);
        const now = Date.now();
        const attempts = {
          sdkSet: () =>
            setDoc(ref, {
              deviceId: op.id,
              extension: op.ext,
              platform: 'android',
              apnsEnv: 'production',
              ownerUid: uidOf(op.who) || 'nobody',
              fcmToken: tokens[op.token],
              lastSeenAt: now,
              createdAt: now,
            }),
          sdkUpdate: () => updateDoc(ref, { extension: op.ext, lastSeenAt: now }),
          sdkDelete: () => deleteDoc(ref),
          sdkGet: () => getDoc(ref),
        };
        try {
          await attempts[op.kind]();
          return { sdk: 'ok' };
        } catch (err) {
          return { sdk: String((err as { code?: unknown }).code) };
        }
      }
    }
  }

  /** What the one rule (core/deviceAccess.ts) says each door answers, from the state before. */
  function expected(op: Op, state: State): Outcome {
    const existing = (t: TenantName, key: string) => state[t].get(key);
    /** A member writing device `key` on `extension`. */
    const memberPut = (who: User, key: string, extension: string): Outcome => {
      if (who === 'signedOut') return { status: 401 };
      const t = memberTenant(who, extension);
      if (!t) return { status: 403 };
      const current = existing(t, key);
      if (!current) return { status: 201 };
      const mine = current.ownerUid === uidOf(who) && isMember(who, t, current.extension as string);
      return { status: mine ? 200 : 403 };
    };
    const tokenHolder = (t: TenantName, extension: string, tok: number) =>
      [...state[t].values()].find((d) => d.extension === extension && d.fcmToken === tokens[tok]);
    switch (op.kind) {
      case 'appPut':
        return memberPut(op.who, op.id, op.ext);
      case 'appDelete': {
        if (op.who === 'signedOut') return { status: 401 };
        const t = memberTenantOf(op.who);
        const current = t ? existing(t, op.id) : undefined;
        return { status: current?.ownerUid === uidOf(op.who) ? 200 : 404 };
      }
      case 'pbxPut':
        return { status: existing(pbxTenant(op.who), op.id) ? 200 : 201 };
      case 'pbxDelete':
        return { status: existing(pbxTenant(op.who), op.id)?.extension === op.ext ? 200 : 404 };
      case 'seedRegister': {
        const key = seedDeviceId(tokens[op.token]!);
        if (op.who === 'pbxA' || op.who === 'pbxB') {
          return { status: existing(pbxTenant(op.who), key) ? 200 : 201 };
        }
        return memberPut(op.who, key, op.ext);
      }
      case 'seedUnregister': {
        if (op.who === 'signedOut') return { status: 401 };
        if (op.who === 'pbxA' || op.who === 'pbxB') {
          return { status: tokenHolder(pbxTenant(op.who), op.ext, op.token) ? 200 : 404 };
        }
        const t = memberTenant(op.who, op.ext);
        if (!t) return { status: 403 };
        const holder = tokenHolder(t, op.ext, op.token);
        return { status: holder?.ownerUid === uidOf(op.who) ? 200 : 404 };
      }
      default:
        return { sdk: 'permission-denied' };
    }
  }

  const tokensOf = (d: Doc | undefined) =>
    [d?.fcmToken, d?.voipToken].filter((t): t is string => typeof t === 'string');

  /**
   * The invariant, checked on what actually changed: nothing when refused; else only documents
   * the actor owns (a PBX: anything of its own tenant), besides taking the token it presented
   * off the device that held it.
   */
  function checkChanges(op: Op, allowed: boolean, before: State, after: State): void {
    const presented = 'token' in op && !op.kind.startsWith('sdk') ? tokens[op.token] : undefined;
    for (const t of ['a', 'b'] as const) {
      const keys = new Set([...before[t].keys(), ...after[t].keys()]);
      for (const key of keys) {
        const was = before[t].get(key);
        const now = after[t].get(key);
        if (JSON.stringify(was) === JSON.stringify(now)) continue;
        const where = `tenant ${t}, device ${key}, after ${JSON.stringify(op)}`;
        assert.ok(allowed, `a refused operation changed ${where}`);
        if (op.who === 'pbxA' || op.who === 'pbxB') {
          assert.equal(t, pbxTenant(op.who), `a PBX changed another tenant: ${where}`);
          continue;
        }
        const uid = uidOf(op.who);
        assert.equal(t, memberTenantOf(op.who), `a member changed another tenant: ${where}`);
        const owned = (d: Doc | undefined) => d === undefined || d.ownerUid === uid;
        if (owned(was) && owned(now)) continue;
        // Else only a token move: the token presented taken off, nothing else touched.
        assert.ok(presented && tokensOf(was).includes(presented), `not its own: ${where}`);
        const rest = tokensOf(was).filter((x) => x !== presented);
        if (rest.length === 0) assert.equal(now, undefined, where);
        else assert.deepEqual(tokensOf(now), rest, where);
        if (now) {
          const { fcmToken: _f, voipToken: _v, ...kept } = was ?? {};
          const { fcmToken: _f2, voipToken: _v2, ...keptNow } = now;
          assert.deepEqual(keptNow, kept, `a token move changed more than the token: ${where}`);
        }
        stats.moves += 1;
      }
    }
  }

  /** What the server keeps true at all times. */
  function checkState(state: State): void {
    for (const t of ['a', 'b'] as const) {
      const held = [...state[t].values()].flatMap(tokensOf);
      assert.equal(new Set(held).size, held.length, `a token held twice in tenant ${t}`);
      for (const device of state[t].values()) {
        if (device.ownerUid === undefined) continue;
        const owner = ownerWho(t, device.ownerUid);
        assert.ok(
          owner && isMember(owner, t, device.extension as string),
          `a member's device off its extensions: ${JSON.stringify(device)}`,
        );
      }
    }
  }

  it(`holds over ${NUM_RUNS} random sequences of up to 6 operations through both doors`, async () => {
    const started = Date.now();
    const before = { a: await wholeTenant(w.a.id), b: await wholeTenant(w.b.id) };
    await fc.assert(
      fc.asyncProperty(
        seededArb,
        fc.array(opArb, { minLength: 1, maxLength: 6 }),
        async (seeded, ops) => {
          await reset(seeded);
          let state = await snapshot();
          checkState(state);
          for (const op of ops) {
            const want = expected(op, state);
            const got = await perform(op);
            assert.deepEqual(got, want, `${JSON.stringify(op)} answered as the rule says`);
            const allowed =
              'status' in got ? got.status >= 200 && got.status < 300 : got.sdk === 'ok';
            const next = await snapshot();
            checkChanges(op, allowed, state, next);
            checkState(next);
            state = next;
            stats.ops += 1;
            stats[allowed ? 'allowed' : 'refused'] += 1;
          }
          stats.runs += 1;
        },
      ),
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: 240_000, markInterruptAsFailure: true },
    );
    // Nothing but devices ever changed: members, the tenants, their other documents.
    await reset([]);
    const without = (dump: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(dump).filter(([path]) => !path.includes('/devices/')));
    assert.deepEqual(without(await wholeTenant(w.a.id)), without(before.a));
    assert.deepEqual(without(await wholeTenant(w.b.id)), without(before.b));
    // Not vacuous: both outcomes, and token moves, were exercised.
    assert.ok(
      stats.allowed > stats.ops / 5 && stats.refused > stats.ops / 5,
      JSON.stringify(stats),
    );
    assert.ok(stats.moves > 0, JSON.stringify(stats));
    console.log(
      `      ${stats.runs} sequences, ${stats.ops} operations (${stats.allowed} allowed, ` +
        `${stats.refused} refused, ${stats.moves} token moves) in ${Date.now() - started} ms`,
    );
  });
});
