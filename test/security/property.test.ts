import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deleteDoc, doc, getDoc, setDoc, updateDoc } from 'firebase/firestore';
import type { TestApp } from '../support/app';
import { db } from '../support/emulator';
import { api, type Reply } from '../support/http';
import { fcmToken } from '../support/ids';
import {
  asUser,
  closeWorld,
  makeWorld,
  seedDeviceId,
  settledTenant,
  wholeTenant,
  type World,
} from './world';

/**
 * Random sequences of operations by random principals through both doors (the HTTPS API and
 * the Firestore SDK under the rules), over two tenants, while the PBXs invite members and remove
 * them and the users accept: memberships change as the device operations run, sometimes at the
 * same moment (two operations sent together). Checked after every step:
 * - a step of one operation answers what the one rule (core/devices/deviceAccess.ts) says, and changes
 *   only what its principal owns (a PBX: its own tenant);
 * - a step of two operations at once answers 2xx or 4xx each (never 5xx), and every change is
 *   one of the two principals' own;
 * - always: a token is held by one owner in the deployment (unique within a tenant); a member's
 *   device sits only on an extension its owner is a member of; no membership exists that its
 *   user did not accept or pair for.
 */

const USERS = ['m100', 'victim', 'm200', 'mB', 'outsider', 'anonymous', 'signedOut'] as const;
const PBXS = ['pbxA', 'pbxB'] as const;
type User = (typeof USERS)[number];
type Pbx = (typeof PBXS)[number];
type Who = User | Pbx;
type TenantName = 'a' | 'b';
type SignedIn = Exclude<User, 'signedOut'>;

const IDS = ['d1', 'd2', 'd3'] as const;
const EXTS = ['100', '200', '300'] as const;
/** Who is a member where when each sequence starts (makeWorld's memberships). */
const START: Record<TenantName, Record<string, User[]>> = {
  a: { '100': ['m100', 'victim'], '200': ['m200'] },
  b: { '100': ['mB'] },
};
const NUM_RUNS = 200;
const TOKENS = 3;

type DeviceOp =
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
type MemberOp =
  | { kind: 'invite' | 'remove'; who: Pbx; user: SignedIn; ext: string }
  | { kind: 'accept'; who: SignedIn; tenant: TenantName; ext: string };
type Op = DeviceOp | MemberOp;
type Step = { ops: [Op] } | { ops: [Op, Op] };

interface Seeded {
  tenant: TenantName;
  id: string;
  ext: string;
  owner: number;
  token: number;
}

type Doc = Record<string, unknown>;
interface State {
  devices: Record<TenantName, Map<string, Doc>>;
  /** tenant → extension → members (user names), as stored. */
  members: Record<TenantName, Map<string, Set<User>>>;
  invited: Record<TenantName, Map<string, Set<User>>>;
  /**
   * The extensions marked used (tenants/{t}/extensions/{ext}, store/extensionDirectory.ts):
   * the server's record that an extension had a device or a member, never deleted.
   */
  markers: Record<TenantName, Set<string>>;
}
type Outcome = { status: number } | { sdk: string };

const anyone = fc.constantFrom(...USERS);
const signedIn = fc.constantFrom<SignedIn>('m100', 'victim', 'm200', 'mB', 'outsider', 'anonymous');
// Mostly members (whose writes may go through), sometimes anyone: a non-vacuous mix.
const user = fc.oneof(
  { arbitrary: fc.constantFrom<User>('m100', 'victim', 'm200', 'mB'), weight: 4 },
  { arbitrary: anyone, weight: 1 },
);
const pbx = fc.constantFrom(...PBXS);
const id = fc.constantFrom(...IDS);
const ext = fc.oneof(
  { arbitrary: fc.constant<string>('100'), weight: 3 },
  { arbitrary: fc.constantFrom<string>(...EXTS), weight: 2 },
);
const tenantName = fc.constantFrom<TenantName>('a', 'b');
// Few tokens, so registrations often present one another device holds.
const token = fc.nat({ max: TOKENS - 1 });
const who = fc.oneof(user, pbx);
const deviceOp: fc.Arbitrary<Op> = fc.oneof(
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
      tenant: tenantName,
      id,
      ext,
      token,
    }),
    weight: 2,
  },
);
const memberOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('invite' as const, 'remove' as const),
    who: pbx,
    user: signedIn,
    ext,
  }),
  fc.record({ kind: fc.constant('accept' as const), who: signedIn, tenant: tenantName, ext }),
);
const op = fc.oneof({ arbitrary: deviceOp, weight: 3 }, { arbitrary: memberOp, weight: 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: op.map((o): Step => ({ ops: [o] })), weight: 3 },
  // Two at once, a membership change among them more often than not.
  {
    arbitrary: fc
      .tuple(fc.oneof(memberOp, deviceOp), deviceOp)
      .map(([x, y]): Step => ({ ops: [x, y] })),
    weight: 1,
  },
);
const seededArb = fc.array(
  fc.record({ tenant: tenantName, id, ext, owner: fc.nat({ max: 2 }), token }),
  { maxLength: 5 },
);

describe('security property: a principal changes only what it owns, a PBX only its tenant, while memberships change (emulators)', function () {
  // A quiet machine runs it in minutes; a busy 2-core one may take many times that.
  this.timeout(30 * 60_000);
  let w: World;
  const tokens = Array.from({ length: TOKENS }, () => fcmToken());
  const stats = {
    runs: 0,
    steps: 0,
    ops: 0,
    allowed: 0,
    refused: 0,
    memberships: 0,
    concurrent: 0,
    moves: 0,
  };

  before(async () => {
    w = await makeWorld();
  });
  after(async () => {
    await closeWorld(w);
  });

  const tenantId = (t: TenantName) => (t === 'a' ? w.a.id : w.b.id);
  const app = (name: User): TestApp => w[name];
  const uidOf = (name: User) => app(name).uid;
  const userOf = (uid: unknown): User | undefined =>
    USERS.find((u) => u !== 'signedOut' && uidOf(u) === uid);
  const pbxTenant = (name: Pbx): TenantName => (name === 'pbxA' ? 'a' : 'b');
  const keyOf = (name: Pbx) => (name === 'pbxA' ? w.a.key : w.b.key);
  const isPbx = (name: Who): name is Pbx => name === 'pbxA' || name === 'pbxB';

  const isMember = (state: State, name: User, t: TenantName, extension: string) =>
    state.members[t].get(extension)?.has(name) ?? false;
  const tenantsOf = (state: State, name: User) =>
    (['a', 'b'] as const).filter((t) => [...state.members[t].values()].some((m) => m.has(name)));

  async function snapshot(): Promise<State> {
    const state: State = {
      devices: { a: new Map(), b: new Map() },
      members: { a: new Map(), b: new Map() },
      invited: { a: new Map(), b: new Map() },
      markers: { a: new Set(), b: new Set() },
    };
    for (const t of ['a', 'b'] as const) {
      const [devices, members, invited, markers] = await Promise.all([
        db()
          .collection(`tenants/${tenantId(t)}/devices`)
          .get(),
        db().collectionGroup('members').where('tenant', '==', tenantId(t)).get(),
        db().collectionGroup('invitations').where('tenant', '==', tenantId(t)).get(),
        db()
          .collection(`tenants/${tenantId(t)}/extensions`)
          .get(),
      ]);
      for (const d of devices.docs) state.devices[t].set(d.id, d.data());
      for (const d of markers.docs) {
        // A marker says only that the extension was used: no uid, token or device in it.
        const fields = Object.keys(d.data());
        assert.ok(
          fields.every((f) => ['extension', 'firstDeviceAt', 'lastMemberAt'].includes(f)),
          `${d.ref.path} holds only the marker's fields: ${JSON.stringify(d.data())}`,
        );
        assert.equal(d.get('extension'), d.id, d.ref.path);
        state.markers[t].add(d.id);
      }
      for (const [snap, into] of [
        [members, state.members[t]],
        [invited, state.invited[t]],
      ] as const) {
        for (const d of snap.docs) {
          const name = userOf(d.get('uid'));
          assert.ok(name, `a membership of a user not of this world: ${d.ref.path}`);
          const extension = d.get('extension') as string;
          into.set(extension, (into.get(extension) ?? new Set()).add(name));
        }
      }
    }
    return state;
  }

  /** Back to makeWorld's memberships, no invitation, and `seeded` as the server keeps devices. */
  async function reset(seeded: Seeded[]): Promise<void> {
    const current = await snapshot();
    const batch = db().batch();
    const now = Date.now();
    for (const t of ['a', 'b'] as const) {
      const root = `tenants/${tenantId(t)}`;
      for (const key of current.devices[t].keys()) batch.delete(db().doc(`${root}/devices/${key}`));
      for (const [extension, names] of current.invited[t]) {
        for (const name of names) {
          batch.delete(db().doc(`${root}/extensions/${extension}/invitations/${uidOf(name)}`));
        }
      }
      for (const [extension, names] of current.members[t]) {
        for (const name of names) {
          if (START[t][extension]?.includes(name)) continue;
          batch.delete(db().doc(`${root}/extensions/${extension}/members/${uidOf(name)}`));
        }
      }
      for (const [extension, names] of Object.entries(START[t])) {
        for (const name of names) {
          if (current.members[t].get(extension)?.has(name)) continue;
          batch.set(db().doc(`${root}/extensions/${extension}/members/${uidOf(name)}`), {
            uid: uidOf(name),
            tenant: tenantId(t),
            extension,
            via: 'invitation',
            createdAt: now,
          });
        }
      }
    }
    const seen = new Set<string>();
    for (const s of seeded) {
      // Unique ids, and each token with one owner in the deployment: what the server keeps.
      if (seen.has(`${s.tenant}/id/${s.id}`) || seen.has(`token/${s.token}`)) continue;
      seen.add(`${s.tenant}/id/${s.id}`);
      seen.add(`token/${s.token}`);
      const owners = [null, ...(START[s.tenant][s.ext] ?? [])];
      const owner = owners[s.owner % owners.length] ?? null;
      batch.set(db().doc(`tenants/${tenantId(s.tenant)}/devices/${s.id}`), {
        deviceId: s.id,
        extension: s.ext,
        platform: 'android',
        apnsEnv: 'production',
        fcmToken: tokens[s.token],
        lastSeenAt: now,
        createdAt: now,
        registrar: owner ? 'app' : 'pbx',
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

  async function asWho(name: Who, method: string, path: string, json?: unknown): Promise<Reply> {
    if (isPbx(name)) return api(method, path, { key: keyOf(name), json });
    if (name === 'signedOut') return api(method, path, { json });
    return asUser(app(name), method, path, { json });
  }

  async function perform(o: Op): Promise<Outcome> {
    const status = async (reply: Promise<Reply>) => ({ status: (await reply).status });
    switch (o.kind) {
      case 'invite':
        return status(asWho(o.who, 'PUT', `/v1/extensions/${o.ext}/members/${uidOf(o.user)}`));
      case 'remove':
        return status(asWho(o.who, 'DELETE', `/v1/extensions/${o.ext}/members/${uidOf(o.user)}`));
      case 'accept':
        return status(
          asWho(o.who, 'POST', '/v1/app/invitations/accept', {
            tenant: tenantId(o.tenant),
            extension: o.ext,
          }),
        );
      case 'appPut':
        return status(asWho(o.who, 'PUT', `/v1/app/devices/${o.id}`, form(o.ext, o.token)));
      case 'appDelete':
        return status(asWho(o.who, 'DELETE', `/v1/app/devices/${o.id}`));
      case 'pbxPut':
        return status(
          asWho(o.who, 'PUT', `/v1/extensions/${o.ext}/devices/${o.id}`, {
            platform: 'android',
            fcm_token: tokens[o.token],
          }),
        );
      case 'pbxDelete':
        return status(asWho(o.who, 'DELETE', `/v1/extensions/${o.ext}/devices/${o.id}`));
      case 'seedRegister':
        return status(asWho(o.who, 'POST', '/api/register-fcm-token', form(o.ext, o.token)));
      case 'seedUnregister':
        return status(
          asWho(o.who, 'POST', '/api/unregister-fcm-token', {
            extension: o.ext,
            fcm_token: tokens[o.token],
          }),
        );
      default: {
        const ref = doc(app(o.who).db, `tenants/${tenantId(o.tenant)}/devices/${o.id}`);
        const now = Date.now();
        const attempts = {
          sdkSet: () =>
            setDoc(ref, {
              deviceId: o.id,
              extension: o.ext,
              platform: 'android',
              apnsEnv: 'production',
              ownerUid: uidOf(o.who) || 'nobody',
              fcmToken: tokens[o.token],
              lastSeenAt: now,
              createdAt: now,
            }),
          sdkUpdate: () => updateDoc(ref, { extension: o.ext, lastSeenAt: now }),
          sdkDelete: () => deleteDoc(ref),
          sdkGet: () => getDoc(ref),
        };
        try {
          await attempts[o.kind]();
          return { sdk: 'ok' };
        } catch (err) {
          return { sdk: String((err as { code?: unknown }).code) };
        }
      }
    }
  }

  /** A device's owner across the deployment (core/devices/deviceAccess.ts deviceOwner). */
  const ownerOf = (t: TenantName, d: Doc) =>
    typeof d.ownerUid === 'string' ? `user:${d.ownerUid}` : `pbx:${t}`;

  /** Whether `token` is held by a device of another owner than `owner` (but `self`). */
  function tokenTaken(state: State, owner: string, tok: number, self?: [TenantName, string]) {
    return (['a', 'b'] as const).some((t) =>
      [...state.devices[t]].some(
        ([key, d]) =>
          d.fcmToken === tokens[tok] &&
          !(self?.[0] === t && self[1] === key) &&
          ownerOf(t, d) !== owner,
      ),
    );
  }

  /** What the one rule says each door answers an operation alone, from the state before. */
  function expected(o: Op, state: State): Outcome {
    const memberPut = (name: User, key: string, extension: string, tok: number): Outcome => {
      if (name === 'signedOut') return { status: 401 };
      const tenants = (['a', 'b'] as const).filter((t) => isMember(state, name, t, extension));
      if (tenants.length === 0) return { status: 403 };
      if (tenants.length > 1) return { status: 400 };
      const t = tenants[0]!;
      const current = state.devices[t].get(key);
      if (current) {
        const mine =
          current.ownerUid === uidOf(name) && isMember(state, name, t, current.extension as string);
        if (!mine) return { status: 403 };
      }
      if (tokenTaken(state, `user:${uidOf(name)}`, tok, [t, key])) return { status: 409 };
      return { status: current ? 200 : 201 };
    };
    const tokenHolder = (t: TenantName, extension: string, tok: number) =>
      [...state.devices[t].values()].find(
        (d) => d.extension === extension && d.fcmToken === tokens[tok],
      );
    switch (o.kind) {
      case 'invite': {
        const t = pbxTenant(o.who);
        return { status: isMember(state, o.user, t, o.ext) ? 200 : 202 };
      }
      case 'remove': {
        const t = pbxTenant(o.who);
        const known =
          isMember(state, o.user, t, o.ext) || (state.invited[t].get(o.ext)?.has(o.user) ?? false);
        return { status: known ? 200 : 404 };
      }
      case 'accept':
        return { status: state.invited[o.tenant].get(o.ext)?.has(o.who) ? 200 : 404 };
      case 'appPut':
        return memberPut(o.who, o.id, o.ext, o.token);
      case 'appDelete': {
        if (o.who === 'signedOut') return { status: 401 };
        const tenants = tenantsOf(state, o.who);
        if (tenants.length > 1) return { status: 400 };
        const current = tenants[0] ? state.devices[tenants[0]].get(o.id) : undefined;
        return { status: current?.ownerUid === uidOf(o.who) ? 200 : 404 };
      }
      case 'pbxPut': {
        const t = pbxTenant(o.who);
        if (tokenTaken(state, `pbx:${t}`, o.token, [t, o.id])) return { status: 409 };
        return { status: state.devices[t].has(o.id) ? 200 : 201 };
      }
      case 'pbxDelete':
        return {
          status: state.devices[pbxTenant(o.who)].get(o.id)?.extension === o.ext ? 200 : 404,
        };
      case 'seedRegister': {
        const key = seedDeviceId(tokens[o.token]!);
        if (isPbx(o.who)) {
          const t = pbxTenant(o.who);
          if (tokenTaken(state, `pbx:${t}`, o.token, [t, key])) return { status: 409 };
          return { status: state.devices[t].has(key) ? 200 : 201 };
        }
        return memberPut(o.who, key, o.ext, o.token);
      }
      case 'seedUnregister': {
        if (o.who === 'signedOut') return { status: 401 };
        if (isPbx(o.who)) {
          return { status: tokenHolder(pbxTenant(o.who), o.ext, o.token) ? 200 : 404 };
        }
        const tenants = (['a', 'b'] as const).filter((t) =>
          isMember(state, o.who as User, t, o.ext),
        );
        if (tenants.length === 0) return { status: 403 };
        if (tenants.length > 1) return { status: 400 };
        const holder = tokenHolder(tenants[0]!, o.ext, o.token);
        return { status: holder?.ownerUid === uidOf(o.who) ? 200 : 404 };
      }
      default:
        return { sdk: 'permission-denied' };
    }
  }

  const tokensOf = (d: Doc | undefined) =>
    [d?.fcmToken, d?.voipToken].filter((t): t is string => typeof t === 'string');

  /**
   * What changed is one of `actors`' own: a PBX's anything in its tenant; a member's, devices
   * it owned before or owns after (its own devices, or the devices a membership removal of its
   * took along, which only a PBX does: then the PBX's tenant). Memberships: only through a
   * PBX's invite-and-removal in its tenant and the user's own acceptance.
   */
  function checkChanges(actors: Op[], allowed: boolean, before: State, after: State): void {
    for (const t of ['a', 'b'] as const) {
      const keys = new Set([...before.devices[t].keys(), ...after.devices[t].keys()]);
      for (const key of keys) {
        const was = before.devices[t].get(key);
        const now = after.devices[t].get(key);
        if (JSON.stringify(was) === JSON.stringify(now)) continue;
        const where = `tenant ${t}, device ${key}, after ${JSON.stringify(actors)}`;
        assert.ok(allowed, `a refused operation changed ${where}`);
        const owned = (d: Doc | undefined, uid: string) => d === undefined || d.ownerUid === uid;
        const explained = actors.some((o) =>
          isPbx(o.who)
            ? pbxTenant(o.who) === t
            : o.who !== 'signedOut' && owned(was, uidOf(o.who)) && owned(now, uidOf(o.who)),
        );
        assert.ok(explained, `not its own: ${where}`);
        if (was && now && tokensOf(was).length > tokensOf(now).length) stats.moves += 1;
      }
      for (const extension of before.markers[t]) {
        assert.ok(after.markers[t].has(extension), `tenant ${t}: marker of ${extension} deleted`);
      }
      for (const extension of after.markers[t]) {
        if (before.markers[t].has(extension)) continue;
        const where = `tenant ${t}, extension ${extension} marked used, after ${JSON.stringify(actors)}`;
        assert.ok(allowed, `a refused operation changed ${where}`);
        // Only a device registered there marks it (a member accepting does not write it).
        const explained = actors.some(
          (o) =>
            (o.kind === 'appPut' || o.kind === 'pbxPut' || o.kind === 'seedRegister') &&
            o.ext === extension &&
            (!isPbx(o.who) || pbxTenant(o.who) === t),
        );
        assert.ok(explained, `no registration there: ${where}`);
      }
      for (const [kind, map] of [
        ['member', 'members'],
        ['invitation', 'invited'],
      ] as const) {
        const exts = new Set([...before[map][t].keys(), ...after[map][t].keys()]);
        for (const extension of exts) {
          const was = [...(before[map][t].get(extension) ?? [])].sort().join();
          const now = [...(after[map][t].get(extension) ?? [])].sort().join();
          if (was === now) continue;
          const where = `${kind}s of tenant ${t}, ${extension}: ${was} → ${now}, after ${JSON.stringify(actors)}`;
          assert.ok(allowed, `a refused operation changed ${where}`);
          const explained = actors.some((o) =>
            o.kind === 'accept'
              ? o.tenant === t
              : (o.kind === 'invite' || o.kind === 'remove') && pbxTenant(o.who) === t,
          );
          assert.ok(explained, `memberships changed by no one entitled: ${where}`);
        }
      }
    }
  }

  /** What the server keeps true at all times, whatever ran at once. */
  function checkState(state: State): void {
    const owners = new Map<string, Set<string>>();
    for (const t of ['a', 'b'] as const) {
      const held = [...state.devices[t].values()].flatMap(tokensOf);
      assert.equal(new Set(held).size, held.length, `a token held twice in tenant ${t}`);
      for (const device of state.devices[t].values()) {
        for (const tok of tokensOf(device)) {
          owners.set(tok, (owners.get(tok) ?? new Set()).add(ownerOf(t, device)));
        }
        if (device.ownerUid === undefined) continue;
        const owner = userOf(device.ownerUid);
        assert.ok(
          owner && isMember(state, owner, t, device.extension as string),
          `a member's device off its extensions: ${JSON.stringify(device)}`,
        );
      }
      // A membership is what a user accepted or paired for: never one of a signed-out app.
      for (const names of state.members[t].values()) assert.ok(!names.has('signedOut'));
    }
    for (const [tok, set] of owners) assert.equal(set.size, 1, `token ${tok} has two owners`);
  }

  it(`holds over ${NUM_RUNS} random sequences of up to 6 steps through both doors, memberships changing`, async () => {
    const started = Date.now();
    const before = { a: await settledTenant(w.a.id), b: await settledTenant(w.b.id) };
    await fc.assert(
      fc.asyncProperty(
        seededArb,
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        async (seeded, steps) => {
          await reset(seeded);
          let state = await snapshot();
          checkState(state);
          for (const step of steps) {
            if (step.ops.length === 1) {
              const [o] = step.ops;
              const want = expected(o, state);
              const got = await perform(o);
              assert.deepEqual(got, want, `${JSON.stringify(o)} answered as the rule says`);
              const allowed =
                'status' in got ? got.status >= 200 && got.status < 300 : got.sdk === 'ok';
              const next = await snapshot();
              checkChanges([o], allowed, state, next);
              checkState(next);
              state = next;
              stats[allowed ? 'allowed' : 'refused'] += 1;
            } else {
              const got = await Promise.all(step.ops.map((o) => perform(o)));
              for (const [i, g] of got.entries()) {
                if ('status' in g) {
                  assert.ok(g.status < 500, `${JSON.stringify(step.ops[i])} answered ${g.status}`);
                }
              }
              const next = await snapshot();
              const anyAllowed = got.some((g) =>
                'status' in g ? g.status >= 200 && g.status < 300 : g.sdk === 'ok',
              );
              checkChanges(step.ops, anyAllowed, state, next);
              checkState(next);
              state = next;
              stats.concurrent += 1;
            }
            stats.steps += 1;
            stats.ops += step.ops.length;
            stats.memberships += step.ops.filter((o) =>
              ['invite', 'remove', 'accept'].includes(o.kind),
            ).length;
          }
          stats.runs += 1;
        },
      ),
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: 480_000, markInterruptAsFailure: true },
    );
    // Nothing but devices, memberships and the markers of extensions used (each checked at
    // every step above) ever changed: the tenants, their calls and other documents.
    await reset([]);
    const marker = /^tenants\/[^/]+\/extensions\/[^/]+$/;
    const without = (dump: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(dump).filter(
          ([path]) =>
            !path.includes('/devices/') &&
            !path.includes('/members/') &&
            !path.includes('/invitations/') &&
            !marker.test(path),
        ),
      );
    assert.deepEqual(without(await wholeTenant(w.a.id)), without(before.a));
    assert.deepEqual(without(await wholeTenant(w.b.id)), without(before.b));
    // Not vacuous: both outcomes, membership changes and steps at once were exercised.
    assert.ok(
      stats.allowed > stats.steps / 8 && stats.refused > stats.steps / 8,
      JSON.stringify(stats),
    );
    assert.ok(stats.memberships > 0 && stats.concurrent > 0, JSON.stringify(stats));
    console.log(
      `      ${stats.runs} sequences, ${stats.steps} steps, ${stats.ops} operations (${stats.allowed} allowed, ${stats.refused} refused alone; ${stats.concurrent} steps of two at once; ${stats.memberships} membership changes; ${stats.moves} token moves) in ${Date.now() - started} ms`,
    );
  });
});
