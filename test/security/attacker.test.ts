import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  collection,
  collectionGroup,
  deleteDoc,
  deleteField,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  updateDoc,
  where,
  type Firestore,
} from 'firebase/firestore';
import { LIMITS } from '../../functions/core/limits';
import { API_KEY_CACHE_MS } from '../../functions/store/tenantDirectory';
import { hashApiKey } from '../../functions/core/access/apiKeyHash';
import { registerAppDevice, signInApp, type TestApp } from '../support/app';
import { callPath, db } from '../support/emulator';
import { api, type Reply } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';
import {
  asUser,
  closeWorld,
  makeWorld,
  refusedBySdk,
  settledTenant,
  wholeTenant,
  type World,
} from './world';
import { deviceDoc } from '../rules/rulesEnv';

describe('security: devices, tokens, uids, pairing and keys attacked at both doors, by every principal (emulators, JS SDK as the app)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let w: World;
  const extraApps: TestApp[] = [];
  const tokens = {
    m100: fcmToken(),
    victim: fcmToken(),
    m200: fcmToken(),
    desk100: fcmToken(),
    desk200: fcmToken(),
  };
  const deviceIds = ['m100-phone', 'victim-phone', 'm200-phone', 'desk-100', 'desk-200'];
  let ringing = '';

  const answered2xx = (reply: Reply, what: string) => {
    assert.ok(reply.status === 201 || reply.status === 200, `${what}: ${reply.text}`);
  };

  /** An API answer an attacker got: the status it must have, and never a token in it. */
  function answered(reply: Reply, status: number, what: string): void {
    assert.equal(reply.status, status, `${what}: ${reply.text}`);
    for (const token of Object.values(tokens)) {
      assert.ok(!reply.text.includes(token), `${what}: the answer carries no token`);
    }
  }

  /** Runs the attempts; tenant a (every document under it, its pairing codes, `extra`) is unchanged. */
  async function unchanged(attempts: () => Promise<void>, extra: string[] = []): Promise<void> {
    const before = await settledTenant(w.a.id, extra);
    // The tenant, its five devices, three members and the ringing call, at least.
    assert.ok(Object.keys(before).length >= 10, 'the tenant holds what the attacks aim at');
    await attempts();
    assert.deepEqual(await wholeTenant(w.a.id, extra), before);
  }

  const devicePath = (id: string) => `tenants/${w.a.id}/devices/${id}`;
  const everyone = () => [w.m100, w.victim, w.m200, w.mB, w.outsider, w.anonymous, w.signedOut];

  before(async () => {
    w = await makeWorld();
    const android = (extension: string, token: string) => ({
      extension,
      platform: 'android',
      fcm_token: token,
    });
    await registerAppDevice(w.m100, 'm100-phone', android('100', tokens.m100));
    await registerAppDevice(w.victim, 'victim-phone', android('100', tokens.victim));
    await registerAppDevice(w.m200, 'm200-phone', android('200', tokens.m200));
    for (const [ext, id, token] of [
      ['100', 'desk-100', tokens.desk100],
      ['200', 'desk-200', tokens.desk200],
    ] as const) {
      const reply = await api('PUT', `/v1/extensions/${ext}/devices/${id}`, {
        key: w.a.key,
        form: { platform: 'android', fcm_token: token },
      });
      assert.equal(reply.status, 201, reply.text);
    }
    // A call ringing on 100 (pushed to the outbox): what a member may read of it, it reads.
    const call = callId();
    const rang = await api('POST', '/v1/calls', {
      key: w.a.key,
      form: { call_id: call, to: '100', ring_timeout: '120' },
    });
    assert.equal(rang.fields.pushed, 3, rang.text);
    ringing = callPath(w.a.id, call);
  });
  after(async () => {
    await closeWorld(w);
    await Promise.all(extraApps.map((app) => app.close()));
  });

  it('no one takes a device over across extensions, nor one the PBX registered', async () => {
    const claim = (extension: string) => ({
      form: { extension, platform: 'android', fcm_token: fcmToken() },
    });
    await unchanged(async () => {
      // The API: a member moving the PBX's phone, then every variant of it.
      const attempts: [TestApp, string, string, number, string][] = [
        [w.m100, 'desk-200', '100', 403, "a member of 100 moves 200's PBX phone to 100"],
        [w.m100, 'desk-200', '200', 403, 'a member of 100 claims it on 200'],
        [w.m200, 'desk-200', '200', 403, "a member of 200 claims its own extension's PBX phone"],
        [w.m100, 'desk-100', '100', 403, "a member of 100 claims its own extension's PBX phone"],
        [w.m100, 'm200-phone', '100', 403, "a member of 100 moves 200's member phone to 100"],
        [w.m100, 'victim-phone', '100', 403, "a member takes a fellow member's phone"],
        [w.outsider, 'desk-200', '200', 403, 'a signed-in non-member'],
        [w.anonymous, 'desk-200', '200', 403, 'an anonymous user'],
      ];
      for (const [app, id, ext, status, what] of attempts) {
        answered(await asUser(app, 'PUT', `/v1/app/devices/${id}`, claim(ext)), status, what);
      }
      const otherTenant = await asUser(w.mB, 'PUT', '/v1/app/devices/m100-phone', {
        form: { ...claim('100').form, tenant: w.a.id },
      });
      answered(otherTenant, 403, "a member of the other tenant's 100");
      answered(await api('PUT', '/v1/app/devices/desk-200', claim('200')), 401, 'no credential');
      for (const id of ['desk-200', 'desk-100', 'm200-phone', 'victim-phone']) {
        answered(await asUser(w.m100, 'DELETE', `/v1/app/devices/${id}`), 404, `delete ${id}`);
      }
      answered(
        await asUser(w.m100, 'POST', '/api/register-fcm-token', {
          json: { extension: '200', fcm_token: fcmToken(), platform: 'android' },
        }),
        403,
        'the seed route, for an extension not its own',
      );
      // The other tenant's PBX: its key reaches its own tenant only.
      answered(
        await api('DELETE', '/v1/extensions/200/devices/desk-200', { key: w.b.key }),
        404,
        "the other PBX deletes a's phone",
      );
      // The SDK, as each principal.
      for (const app of everyone()) {
        for (const id of ['desk-200', 'm200-phone', 'victim-phone']) {
          const ref = doc(app.db, devicePath(id));
          const uid = app.uid || 'nobody';
          await refusedBySdk(
            `${id} set`,
            setDoc(ref, deviceDoc(id, '100', uid, { fcmToken: fcmToken() })),
          );
          await refusedBySdk(`${id} update`, updateDoc(ref, { extension: '100', ownerUid: uid }));
          await refusedBySdk(`${id} delete`, deleteDoc(ref));
        }
      }
    });
    // What the other tenant's PBX registers lands in its own tenant, leaving a's alone.
    await unchanged(async () => {
      const put = await api('PUT', '/v1/extensions/200/devices/desk-200', {
        key: w.b.key,
        form: { platform: 'android', fcm_token: fcmToken() },
      });
      answered(put, 201, 'the other PBX registers the same id (in its own tenant)');
    });
    assert.ok((await db().doc(`tenants/${w.b.id}/devices/desk-200`).get()).exists);
  });

  it('no one reads a raw token or another user’s uid: the SDK shows no device at all', async () => {
    // A call a fellow member answered: its record and its answer would name the victim's uid.
    const answeredId = callId();
    const rang = await api('POST', '/v1/calls', {
      key: w.a.key,
      form: { call_id: answeredId, to: '100', ring_timeout: '120' },
    });
    answered2xx(rang, 'a second call');
    const won = await asUser(w.victim, 'POST', `/v1/app/calls/${answeredId}/answer`, {
      form: { device_id: 'victim-phone', action: 'accept' },
    });
    answered(won, 200, "the victim's answer");
    const answeredCall = callPath(w.a.id, answeredId);
    // The cancel pushes that follow the answer are written onto the call: wait for them, so the
    // tenant holds still for the comparisons below and in the tests after this one.
    await eventually(
      async () => (await db().doc(answeredCall).get()).get('cancel.state') === 'sent',
      'the cancel pushes after the answer',
      30_000,
    );
    await unchanged(async () => {
      for (const app of everyone().filter((a) => a !== w.victim)) {
        await refusedBySdk(
          "another member's answer",
          getDoc(doc(app.db, `${answeredCall}/answers/victim-phone`)),
        );
      }
      for (const app of everyone()) {
        for (const id of deviceIds) {
          await refusedBySdk(`read ${id}`, getDoc(doc(app.db, devicePath(id))));
        }
        const devices = collection(app.db, `tenants/${w.a.id}/devices`);
        await refusedBySdk('list 100', getDocs(query(devices, where('extension', '==', '100'))));
        await refusedBySdk('list all', getDocs(devices));
        await refusedBySdk(
          'devices of every tenant',
          getDocs(query(collectionGroup(app.db, 'devices'), where('extension', '==', '100'))),
        );
        await refusedBySdk(
          'the outbox (pushes, tokens masked)',
          getDocs(query(collection(app.db, 'pushOutbox'), where('tenant', '==', w.a.id))),
        );
      }
      // What a member may read, the calls it rang for (one answered by a fellow member) and its
      // membership, holds no token and no other member's uid.
      const readable = [
        await getDoc(doc(w.m100.db, ringing)),
        await getDoc(doc(w.m100.db, answeredCall)),
        await getDoc(doc(w.m100.db, `tenants/${w.a.id}/extensions/100/members/${w.m100.uid}`)),
      ];
      assert.equal(readable[1]?.get('answeredBy'), 'victim-phone', 'the answered call is readable');
      for (const snap of readable) {
        assert.ok(snap.exists());
        const text = JSON.stringify(snap.data());
        for (const token of Object.values(tokens)) assert.ok(!text.includes(token), text);
        assert.ok(!text.includes(w.victim.uid), 'nor the uid of another member');
      }
      // The API lists devices to the PBX only, masked and without owners.
      answered(await asUser(w.m100, 'GET', '/v1/extensions/100/devices'), 401, 'an ID token');
      const other = await api('GET', '/v1/extensions/100/devices', { key: w.b.key });
      answered(other, 200, 'the other PBX');
      assert.equal(other.fields.count, 0);
      const own = await api('GET', '/v1/extensions/100/devices', { key: w.a.key });
      answered(own, 200, "the tenant's own PBX");
      assert.equal(own.fields.count, 3);
      assert.ok(!own.text.includes(w.m100.uid) && !own.text.includes(w.victim.uid));
    });
  });

  it("no member knocks a fellow member's phone off, even holding its token", async () => {
    // Possession of a token proves nothing (tokens travel in SIP REGISTERs): a token moves only
    // when its owner registers it again, and nothing but its owner or the PBX removes a device
    // or a token from it.
    await unchanged(async () => {
      const register = (app: TestApp, id: string, extension: string, token: string) =>
        asUser(app, 'PUT', `/v1/app/devices/${id}`, {
          form: { extension, platform: 'android', fcm_token: token },
        });
      answered(await register(w.m100, 'taker', '100', tokens.victim), 409, "a fellow member's");
      answered(
        await register(w.m200, 'taker', '200', tokens.victim),
        409,
        'from another extension',
      );
      answered(await register(w.m100, 'taker', '100', tokens.desk100), 409, "the PBX phone's");
      answered(await register(w.mB, 'taker', '100', tokens.victim), 409, 'from another tenant');
      answered(
        await asUser(w.m100, 'POST', '/api/register-fcm-token', {
          json: { extension: '100', fcm_token: tokens.victim, platform: 'android' },
        }),
        409,
        'through the seed route',
      );
      answered(
        await api('PUT', '/v1/extensions/100/devices/taker', {
          key: w.b.key,
          form: { platform: 'android', fcm_token: tokens.victim },
        }),
        409,
        "the other tenant's PBX",
      );
      const unregister = (app: TestApp, extension: string, token: string) =>
        asUser(app, 'POST', '/api/unregister-fcm-token', {
          json: { extension, fcm_token: token },
        });
      answered(await unregister(w.m100, '100', tokens.victim), 404, "a fellow member's token");
      answered(await unregister(w.m100, '100', tokens.desk100), 404, "the PBX phone's token");
      answered(await unregister(w.m200, '100', tokens.victim), 403, 'from another extension');
      answered(await unregister(w.outsider, '100', tokens.victim), 403, 'a non-member');
      answered(await unregister(w.anonymous, '100', tokens.victim), 403, 'an anonymous user');
      answered(
        await api('POST', '/api/unregister-fcm-token', {
          key: w.b.key,
          json: { extension: '100', fcm_token: tokens.victim },
        }),
        404,
        'the other PBX',
      );
      answered(await asUser(w.m100, 'DELETE', '/v1/app/devices/victim-phone'), 404, 'delete it');
      for (const app of everyone()) {
        const victim = doc(app.db, devicePath('victim-phone'));
        await refusedBySdk('strip the token', updateDoc(victim, { fcmToken: deleteField() }));
        await refusedBySdk('delete it', deleteDoc(victim));
        await refusedBySdk(
          'hold the token on a device of ones own',
          setDoc(
            doc(app.db, devicePath('attacker-phone')),
            deviceDoc('attacker-phone', '100', app.uid || 'nobody', { fcmToken: tokens.victim }),
          ),
        );
      }
    });
  });

  it("no device is written past the registry's rules: tokens stay unique, lastSeenAt is the server's", async () => {
    await unchanged(async () => {
      const far = Number.MAX_SAFE_INTEGER;
      const mine = (token: string, extra: Record<string, unknown> = {}) => ({
        ...deviceDoc('m100-tablet', '100', w.m100.uid, { fcmToken: token }),
        ...extra,
      });
      const tablet = doc(w.m100.db, devicePath('m100-tablet'));
      await refusedBySdk(
        'a never-pruned device',
        setDoc(tablet, mine(fcmToken(), { lastSeenAt: far })),
      );
      await refusedBySdk('a duplicate token', setDoc(tablet, mine(tokens.m100)));
      await refusedBySdk(
        'a server timestamp',
        setDoc(tablet, mine(fcmToken(), { lastSeenAt: serverTimestamp() })),
      );
      const phone = doc(w.m100.db, devicePath('m100-phone'));
      await refusedBySdk('refresh its own into the future', updateDoc(phone, { lastSeenAt: far }));
      await refusedBySdk('its own, on another extension', updateDoc(phone, { extension: '200' }));
    });
    // Through the API, the fields the server sets are not the client's to send.
    const before = await settledTenant(w.a.id);
    const sent = Date.now();
    const token = fcmToken();
    const reply = await asUser(w.m100, 'PUT', '/v1/app/devices/m100-tablet', {
      json: {
        extension: '100',
        platform: 'android',
        fcm_token: token,
        lastSeenAt: Number.MAX_SAFE_INTEGER,
        last_seen_at: '2999-01-01T00:00:00Z',
        ownerUid: w.victim.uid,
        createdAt: 0,
      },
    });
    answered(reply, 201, 'its own new tablet');
    const after = await wholeTenant(w.a.id);
    const changed = Object.keys(after).filter(
      (path) => JSON.stringify(after[path]) !== JSON.stringify(before[path]),
    );
    assert.deepEqual(changed, [devicePath('m100-tablet')], 'its own device and nothing else');
    const stored = after[devicePath('m100-tablet')] as Record<string, unknown>;
    assert.equal(stored.ownerUid, w.m100.uid);
    assert.ok(
      (stored.lastSeenAt as number) >= sent && (stored.lastSeenAt as number) <= Date.now(),
      `lastSeenAt ${String(stored.lastSeenAt)} is the server's clock`,
    );
    assert.equal(stored.createdAt, stored.lastSeenAt);
    answered(await asUser(w.m100, 'DELETE', '/v1/app/devices/m100-tablet'), 200, 'and gone again');
    assert.deepEqual(await wholeTenant(w.a.id), before);
  });

  it('no parallel guesses get past the pairing limit, and the right code is no help past it', async () => {
    const issued = await api('POST', '/v1/extensions/100/pairing-codes', { key: w.a.key });
    const code = issued.fields.code as string;
    const guesser = await signInApp();
    extraApps.push(guesser);
    const wrong = () => `${randomBytes(4).toString('hex')}-WRONG`.toUpperCase().slice(0, 11);
    const pair = (app: TestApp, form: Record<string, string>) =>
      asUser(app, 'POST', '/v1/app/pair', { form });
    await unchanged(async () => {
      // Ten guesses at once from one user: each is counted before the codes are looked at, so
      // five at most reach them, whatever the order; none waits on another (no 503).
      const burst = await Promise.all(
        Array.from({ length: 10 }, () => pair(guesser, { code: wrong() })),
      );
      // Each attempt increments, then reads the count: one that reads after another's increment
      // sees more than its own, so under a burst fewer than five may reach the codes, never more.
      const statuses = burst.map((r) => r.status);
      const reached = statuses.filter((s) => s === 404).length;
      assert.ok(reached >= 1 && reached <= 5, statuses.join());
      assert.equal(statuses.filter((s) => s === 429).length, 10 - reached, statuses.join());
      answered(await pair(guesser, { code: wrong() }), 429, 'one more, alone');
      answered(await pair(guesser, { code }), 429, 'the right code too, now');

      // The SDK: no counter, code or membership is the client's to touch.
      const pairDb: Firestore = guesser.db;
      const counters = await db().collection('rateLimits').listDocuments();
      const limit = doc(pairDb, counters[0]?.path ?? `rateLimits/pair:${guesser.uid}`);
      await refusedBySdk('reset a counter', setDoc(limit, { count: 0 }));
      await refusedBySdk('delete a counter', deleteDoc(limit));
      await refusedBySdk('read a counter', getDoc(limit));
      await refusedBySdk(
        'read the codes',
        getDocs(query(collection(pairDb, 'pairingCodes'), where('tenant', '==', w.a.id))),
      );
      await refusedBySdk(
        'pair itself',
        setDoc(doc(pairDb, `tenants/${w.a.id}/extensions/100/members/${guesser.uid}`), {
          uid: guesser.uid,
          tenant: w.a.id,
          extension: '100',
          via: 'pairing',
          createdAt: Date.now(),
        }),
      );
    });
  });

  it('a spray of wrong keys flushes no valid key from the cache, costs no read past the first few, and a revoked key is refused', async () => {
    // The valid key's record is taken away while the spray runs: the key keeps working only
    // while this instance's cache holds it, so a spray that flushed the cache shows as a 401.
    // Requests go one at a time: the Functions emulator then serves them all from its first idle
    // worker, one instance, as one instance of `api` would.
    const list = (key: string) => api('GET', '/v1/extensions/100/devices', { key });
    // The emulator marks a worker idle on its response's 'finish' event, which may run after
    // this process has read the response (firebase-tools lib/emulator/functionsRuntimeWorker.js,
    // RuntimeWorker.request): a request sent at once can reach another worker, an instance that
    // never cached the valid key. So the prime and each check wait a moment, and a check that
    // got 401 asks once more: both reach the worker that took the spray, and a cache the spray
    // flushed answers 401 both times.
    const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // The valid key of the moment: a key of tenant A made here and looked up once, so that when
    // its cache entry was made (and when it lapses, API_KEY_CACHE_MS later) is known; an older
    // key's entry may date from another test and lapse at any time.
    let current = '';
    let lookedUpAt = 0;
    let unchecked = 0;
    const validKey = async () => {
      await settle(200);
      const first = await list(current);
      if (first.status !== 401) return first;
      await settle(1_000);
      return list(current);
    };
    const prime = async () => {
      const key = `cwk_${randomBytes(32).toString('base64url')}`;
      const path = `apiKeys/${hashApiKey(key)}`;
      await db().doc(path).set({ tenant: w.a.id, createdAt: Date.now() });
      // A key never seen waits for the instance's look-up budget, which the spray spends.
      const first = await eventually(
        async () => {
          await settle(200);
          lookedUpAt = Date.now();
          const reply = await list(key);
          return reply.status !== 429 && reply;
        },
        'a look-up for a new valid key',
        30_000,
      );
      answered(first, 200, 'a new valid key, with its record');
      await db().doc(path).delete();
      current = key;
    };
    const statuses = new Map<number, number>();
    const sprayStarted = Date.now();
    let sprayEnded = 0;
    try {
      await prime();
      // More wrong keys than the instance's caches hold (1,000 each).
      for (let chunk = 0; chunk < 11; chunk += 1) {
        // Cached API_KEY_CACHE_MS after its look-up: a new key well before that.
        if (Date.now() - lookedUpAt > 10_000) await prime();
        for (let i = 0; i < 100; i += 1) {
          const reply = await list(`cwk_spray_${randomBytes(24).toString('base64url')}`);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status === 429) assert.equal(reply.fields.limit, 'unknown_key_lookups');
          else answered(reply, 401, 'a sprayed key');
        }
        // A chunk that outlasted the cache (a very slow machine) proves nothing either way: its
        // 401 would be the cache's age, not the spray. Such a chunk is not checked; every other is.
        if (Date.now() - lookedUpAt >= API_KEY_CACHE_MS - 3_000) {
          unchecked += 1;
          continue;
        }
        answered(await validKey(), 200, `the valid key after ${(chunk + 1) * 100} wrong ones`);
      }
      assert.ok(unchecked <= 5, `${unchecked} of 11 chunks outlasted the key cache`);
    } finally {
      sprayEnded = Date.now();
      // The spray spent the instance's look-up budget: the suites after this one start with
      // fresh keys, so wait until a key never seen is looked up again (401, not 429).
      await eventually(
        async () =>
          (await list(`cwk_after_${randomBytes(24).toString('base64url')}`)).status === 401,
        'the look-up budget to refill after the spray',
        30_000,
      );
    }
    // Only a key looked up costs a read (401); the instance's budget allows a burst of 20 and 10
    // a second after it, whatever the spray sends.
    const seconds = (sprayEnded - sprayStarted) / 1000;
    const looked = statuses.get(401) ?? 0;
    const budget =
      2 * LIMITS.unknown_key_lookups.value + LIMITS.unknown_key_lookups.value * seconds;
    assert.ok(
      looked <= budget && (statuses.get(429) ?? 0) > 0,
      `${looked} of 1,100 wrong keys looked up in ${seconds.toFixed(1)} s (budget ${Math.floor(budget)})`,
    );

    const revoked = `cwk_revoked_${randomBytes(18).toString('base64url')}`;
    const revokedPath = `apiKeys/${hashApiKey(revoked)}`;
    await db().doc(revokedPath).set({ tenant: w.a.id, createdAt: Date.now(), revoked: true });
    await unchanged(async () => {
      answered(
        await api('DELETE', '/v1/extensions/100/devices/desk-100', { key: revoked }),
        401,
        'a revoked key',
      );
      for (const app of everyone()) {
        await refusedBySdk('read a key', getDoc(doc(app.db, revokedPath)));
        await refusedBySdk(
          'un-revoke a key',
          updateDoc(doc(app.db, revokedPath), { revoked: false }),
        );
        await refusedBySdk(
          'plant a key',
          setDoc(doc(app.db, `apiKeys/${hashApiKey(`cwk_planted_${app.uid}`)}`), {
            tenant: w.a.id,
            createdAt: Date.now(),
          }),
        );
      }
    }, [revokedPath]);
  });
});
