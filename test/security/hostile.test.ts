import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  collection,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  where,
} from 'firebase/firestore';
import { LIMITS } from '../../functions/core/limits';
import {
  answerWithSdk,
  registerAppDevice,
  signInAnonymousApp,
  signInApp,
  type TestApp,
} from '../support/app';
import { callPath, db, storedCall } from '../support/emulator';
import { endCalls } from '../support/endCalls';
import { api, retrying503, type Reply } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';
import {
  asUser,
  closeWorld,
  makeWorld,
  refusedBySdk,
  seedDeviceId,
  settledTenant,
  wholeTenant,
  type World,
} from './world';

/**
 * Tenants and members acting against each other, as an attacker would, through both doors (the
 * HTTPS API, and Firestore under the rules with the JS SDK): one member against its extension's
 * calls, a tenant against another tenant's users, a token holder against the token's owner, a
 * member against the PBX's phones, strangers against a user's pairing.
 */

const android = (extension: string, token: string) => ({
  extension,
  platform: 'android',
  fcm_token: token,
});

function status(reply: Reply, expected: number, what: string): void {
  assert.equal(reply.status, expected, `${what}: ${reply.text}`);
}

/** The pushes the outbox holds for a call, by device. */
async function pushedDevices(tenant: string, call: string): Promise<string[]> {
  const snap = await db().collection('pushOutbox').where('tenant', '==', tenant).get();
  return snap.docs
    .map((d) => d.data() as { callId: string; deviceId: string })
    .filter((p) => p.callId === call)
    .map((p) => p.deviceId);
}

describe('security: hostile tenants and members, at both doors (emulators, JS SDK as the app)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let w: World;
  const extra: TestApp[] = [];
  const tokens = { victim: fcmToken(), desk100: fcmToken(), m200: fcmToken() };

  before(async () => {
    w = await makeWorld();
    await registerAppDevice(w.victim, 'victim-phone', android('100', tokens.victim));
    await registerAppDevice(w.m200, 'm200-phone', android('200', tokens.m200));
    const desk = await api('PUT', '/v1/extensions/100/devices/desk-100', {
      key: w.a.key,
      form: { platform: 'android', fcm_token: tokens.desk100 },
    });
    status(desk, 201, "the PBX's desk phone");
  });
  after(async () => {
    await closeWorld(w);
    await Promise.all(extra.map((app) => app.close()));
  });

  it("a member's registrations stop at the caps, and a call to a flooded extension still rings the PBX's desk phone, bounded", async () => {
    // Through the API: one member, more devices than it may hold.
    const perUser = LIMITS.devices_per_user.value;
    const codes: number[] = [];
    for (let i = 0; i <= perUser; i += 1) {
      const reply = await asUser(w.m100, 'PUT', `/v1/app/devices/m100-flood-${i}`, {
        form: android('100', fcmToken()),
      });
      codes.push(reply.status);
      if (reply.status === 409) {
        assert.equal(reply.fields.error, 'limit_exceeded');
        assert.equal(reply.fields.limit, 'devices_per_user');
      }
    }
    assert.deepEqual(codes, [...Array<number>(perUser).fill(201), 409], codes.join());
    // The seed route counts the same devices.
    status(
      await asUser(w.m100, 'POST', '/api/register-fcm-token', {
        json: { extension: '100', fcm_token: fcmToken(), platform: 'android' },
      }),
      409,
      'the seed route, past the cap',
    );
    // Devices stored past any cap (registered before the caps, or raced past them): thousands
    // of members' devices that sort before the PBX's phone.
    const flood = 5_500;
    try {
      for (let start = 0; start < flood; start += 500) {
        const batch = db().batch();
        for (let i = start; i < Math.min(flood, start + 500); i += 1) {
          const id = `0000-flood-${String(i).padStart(5, '0')}`;
          batch.set(db().doc(`tenants/${w.a.id}/devices/${id}`), {
            deviceId: id,
            extension: '100',
            platform: 'android',
            apnsEnv: 'production',
            fcmToken: `fcm_flood_${randomBytes(16).toString('hex')}`,
            ownerUid: w.m100.uid,
            lastSeenAt: Date.now() - i,
            createdAt: Date.now(),
            // Half as stored before the registrar field existed.
            ...(i % 2 === 0 ? { registrar: 'app' } : {}),
          });
        }
        await batch.commit();
      }
      const call = callId();
      // A PBX retries a 503 or a 429 busy (a loaded machine); the retry of a call whose first
      // try landed is that call back, 200.
      const rang = await retrying503(() =>
        api('POST', '/v1/calls', {
          key: w.a.key,
          form: { call_id: call, to: '100', ring_timeout: '60' },
        }),
      );
      status(
        rang,
        rang.retried && rang.status === 200 ? 200 : 201,
        'a call to the flooded extension',
      );
      const pushed = await pushedDevices(w.a.id, call);
      const budget =
        LIMITS.app_devices_per_extension.value + LIMITS.pbx_devices_per_extension.value;
      assert.ok(pushed.includes('desk-100'), `the desk phone was pushed: ${pushed.length} pushes`);
      assert.ok(pushed.length <= budget, `${pushed.length} pushes, at most ${budget}`);
      assert.ok((await storedCall(w.a.id, call)).devices <= budget);
      // The PBX's own budget is its own: it still registers a desk phone on the flooded extension.
      status(
        await api('PUT', '/v1/extensions/100/devices/desk-100-b', {
          key: w.a.key,
          form: { platform: 'android', fcm_token: fcmToken() },
        }),
        201,
        'the PBX, on an extension members filled',
      );
      // And no member writes a device past the rules (the SDK door is shut to devices).
      await refusedBySdk(
        'a device through the SDK',
        setDoc(doc(w.m100.db, `tenants/${w.a.id}/devices/sdk-flood`), {
          deviceId: 'sdk-flood',
          extension: '100',
          ownerUid: w.m100.uid,
        }),
      );
    } finally {
      // End the call to the flooded extension and clean the flood away for the tests after this
      // one, whatever failed above: a call ringing out during a later test's snapshots would
      // change them, and a tenant of thousands of devices would make every snapshot slow.
      await endCalls(w.a);
      const left = await db()
        .collection(`tenants/${w.a.id}/devices`)
        .where('ownerUid', '==', w.m100.uid)
        .get();
      for (let i = 0; i < left.docs.length; i += 500) {
        const batch = db().batch();
        for (const d of left.docs.slice(i, i + 500)) batch.delete(d.ref);
        await batch.commit();
      }
    }
  });

  it("no tenant makes another tenant's user a member without the user's consent, nor captures its answer", async () => {
    // Tenant b's PBX names the victim (a member of a's 100) as a member of its own 100.
    const invited = await api('PUT', `/v1/extensions/100/members/${w.victim.uid}`, {
      key: w.b.key,
    });
    status(invited, 202, 'the other tenant invites the victim');
    assert.equal(invited.fields.status, 'invited');
    assert.ok(
      !(await db().doc(`tenants/${w.b.id}/extensions/100/members/${w.victim.uid}`).get()).exists,
      'an invitation is no membership',
    );
    // b prepares its look-alike: a PBX device with the victim's device id, and a call with the
    // same call id as the victim's ringing call.
    const call = callId();
    status(
      await api('POST', '/v1/calls', { key: w.a.key, form: { call_id: call, to: '100' } }),
      201,
      "the victim's real call",
    );
    status(
      await api('PUT', '/v1/extensions/100/devices/victim-phone', {
        key: w.b.key,
        form: { platform: 'android', fcm_token: fcmToken() },
      }),
      201,
      "b's device named like the victim's",
    );
    status(
      await api('POST', '/v1/calls', { key: w.b.key, form: { call_id: call, to: '100' } }),
      201,
      "b's call named like the victim's",
    );
    // The victim's own registration still works without naming a tenant (it belongs to one).
    status(
      await asUser(w.victim, 'PUT', '/v1/app/devices/victim-phone', {
        form: android('100', tokens.victim),
      }),
      200,
      "the victim's refresh",
    );
    // Its answer, sent without a tenant, lands on its own call and nowhere else.
    const answered = await asUser(w.victim, 'POST', `/v1/app/calls/${call}/answer`, {
      form: { device_id: 'victim-phone', action: 'accept' },
    });
    status(answered, 200, "the victim's answer");
    assert.equal(answered.fields.outcome, 'won');
    assert.equal((await storedCall(w.a.id, call)).status, 'accepted');
    assert.equal((await storedCall(w.b.id, call)).status, 'ringing', "b's look-alike rings on");
    // Through the SDK the victim reads nothing of b's.
    await refusedBySdk("b's call", getDoc(doc(w.victim.db, callPath(w.b.id, call))));

    // A user of two tenants by its own consent must name the tenant: no guess is made for it.
    const both = await signInApp();
    extra.push(both);
    for (const tenant of [w.a, w.b]) {
      status(
        await api('PUT', `/v1/extensions/300/members/${both.uid}`, { key: tenant.key }),
        202,
        'invited',
      );
      status(
        await asUser(both, 'POST', '/v1/app/invitations/accept', {
          form: { tenant: tenant.id, extension: '300' },
        }),
        200,
        'accepted',
      );
    }
    const pending = await asUser(w.victim, 'GET', '/v1/app/invitations');
    status(pending, 200, "the victim's invitations");
    assert.equal(pending.fields.count, 1, 'the one from b, waiting');
    const before = await settledTenant(w.a.id);
    status(
      await asUser(both, 'POST', `/v1/app/calls/${call}/answer`, {
        form: { device_id: 'victim-phone', action: 'decline' },
      }),
      400,
      'an answer naming no tenant, from a user of two',
    );
    assert.deepEqual(await wholeTenant(w.a.id), before);

    // No member learns another's uid: not from the call, not from its answers.
    const seen = await getDoc(doc(w.m100.db, callPath(w.a.id, call)));
    assert.ok(seen.exists());
    assert.ok(!JSON.stringify(seen.data()).includes(w.victim.uid), 'the call names no uid');
    const answerPath = `${callPath(w.a.id, call)}/answers/victim-phone`;
    await refusedBySdk("a fellow member's answer", getDoc(doc(w.m100.db, answerPath)));
    await refusedBySdk(
      'the answers, listed',
      getDocs(collection(w.m100.db, `${callPath(w.a.id, call)}/answers`)),
    );
    assert.ok((await getDoc(doc(w.victim.db, answerPath))).exists(), 'its own it reads');
  });

  it('a push token moves only when its owner registers it again; anyone else gets 409 and nothing changes', async () => {
    const unchanged = async (attempt: () => Promise<Reply>, what: string) => {
      const before = [await settledTenant(w.a.id), await settledTenant(w.b.id)];
      const reply = await attempt();
      status(reply, 409, what);
      assert.equal(reply.fields.error, 'token_in_use');
      assert.deepEqual([await wholeTenant(w.a.id), await wholeTenant(w.b.id)], before, what);
    };
    await unchanged(
      () =>
        asUser(w.m200, 'PUT', '/v1/app/devices/m200-tablet', {
          form: android('200', tokens.victim),
        }),
      'a member of 200 registers the token of a phone on 100',
    );
    await unchanged(
      () =>
        asUser(w.m100, 'POST', '/api/register-fcm-token', {
          json: { extension: '100', fcm_token: tokens.desk100, platform: 'android' },
        }),
      "a member takes the desk phone's token through the seed route",
    );
    await unchanged(
      () =>
        api('PUT', '/v1/extensions/100/devices/b-phone', {
          key: w.b.key,
          form: { platform: 'android', fcm_token: tokens.victim },
        }),
      "another tenant's PBX registers the victim's token",
    );
    await unchanged(
      () =>
        api('PUT', '/v1/extensions/200/devices/pbx-takes-m200', {
          key: w.a.key,
          form: { platform: 'android', fcm_token: tokens.m200 },
        }),
      "the tenant's own PBX takes a member's token",
    );
    await refusedBySdk(
      'a token written on a device of its own through the SDK',
      setDoc(doc(w.m200.db, `tenants/${w.a.id}/devices/sdk-phone`), {
        deviceId: 'sdk-phone',
        extension: '200',
        fcmToken: tokens.victim,
        ownerUid: w.m200.uid,
      }),
    );
    // The owner reinstalls: a new device id, the same token; the token moves, once.
    status(
      await asUser(w.victim, 'PUT', '/v1/app/devices/victim-phone-2', {
        form: android('100', tokens.victim),
      }),
      201,
      'the owner, reinstalled',
    );
    assert.ok(!(await db().doc(`tenants/${w.a.id}/devices/victim-phone`).get()).exists);
    const seed = seedDeviceId(tokens.victim);
    status(
      await asUser(w.victim, 'POST', '/api/register-fcm-token', {
        json: { extension: '100', fcm_token: tokens.victim, platform: 'android' },
      }),
      201,
      'the owner again, through the seed route',
    );
    assert.ok((await db().doc(`tenants/${w.a.id}/devices/${seed}`).get()).exists);
    // Put back as it was, for the tests after this one.
    status(
      await asUser(w.victim, 'PUT', '/v1/app/devices/victim-phone', {
        form: android('100', tokens.victim),
      }),
      201,
      'the owner, back on its first id',
    );
  });

  it('only the PBX answers for its own phones: no member acknowledges or answers as a PBX-registered device, at either door', async () => {
    const call = callId();
    status(
      await api('POST', '/v1/calls', { key: w.a.key, form: { call_id: call, to: '100' } }),
      201,
      'a call to 100',
    );
    const before = await settledTenant(w.a.id);
    for (const [path, form] of [
      ['ack', { device_id: 'desk-100' }],
      ['answer', { device_id: 'desk-100', action: 'accept' }],
      ['answer', { device_id: 'desk-100', action: 'decline' }],
    ] as const) {
      const reply = await asUser(w.m100, 'POST', `/v1/app/calls/${call}/${path}`, { form });
      status(reply, 403, `${path} as the desk phone`);
    }
    const answers = callPath(w.a.id, call);
    await refusedBySdk('an answer as the desk phone', answerWithSdk(w.m100, answers, 'desk-100'));
    await refusedBySdk(
      'a receipt as the desk phone',
      setDoc(doc(w.m100.db, `${answers}/receipts/desk-100`), {
        deviceId: 'desk-100',
        uid: w.m100.uid,
        receivedAt: serverTimestamp(),
      }),
    );
    assert.deepEqual(await wholeTenant(w.a.id), before);
    assert.equal((await storedCall(w.a.id, call)).status, 'ringing');
  });

  it("strangers' wrong pairing codes never lock a user out: the right code still pairs, and parallel guesses get answers, not 503s", async () => {
    const issued = await api('POST', '/v1/extensions/400/pairing-codes', { key: w.a.key });
    status(issued, 201, 'a pairing code for 400');
    const code = issued.fields.code as string;
    const wrong = () => `${randomBytes(5).toString('hex').toUpperCase().slice(0, 5)}-WRONG`;
    const scoped = { tenant: w.a.id, extension: '400' };
    // Five anonymous accounts, five wrong codes each, five at a time, naming the extension: 25
    // wrong codes for 400. Then each sends one more, a code alone.
    const strangers = await Promise.all(Array.from({ length: 5 }, () => signInAnonymousApp()));
    extra.push(...strangers);
    const statuses: number[] = [];
    for (const stranger of strangers) {
      const burst = await Promise.all(
        Array.from({ length: 5 }, () =>
          asUser(stranger, 'POST', '/v1/app/pair', { form: { code: wrong(), ...scoped } }),
        ),
      );
      statuses.push(...burst.map((r) => r.status));
    }
    assert.deepEqual(
      statuses,
      Array<number>(25).fill(404),
      `every wrong code gets its 404, never a 503: ${statuses.join()}`,
    );
    // The user with the right code pairs, whatever the strangers did.
    const user = await signInApp();
    extra.push(user);
    const paired = await asUser(user, 'POST', '/v1/app/pair', { form: { code, ...scoped } });
    status(paired, 200, 'the right code, after the strangers');
    assert.equal(paired.fields.extension, '400');
    // Each stranger has used up its own attempts, and only its own.
    for (const stranger of strangers) {
      const more = await asUser(stranger, 'POST', '/v1/app/pair', { form: { code: wrong() } });
      status(more, 429, "a stranger's sixth wrong code");
      assert.equal(more.fields.limit, 'pairing_attempts');
    }
    // A user's own wrong guesses are its own to wait out.
    const clumsy = await signInApp();
    extra.push(clumsy);
    const own: number[] = [];
    for (let i = 0; i <= LIMITS.pairing_attempts.value; i += 1) {
      own.push((await asUser(clumsy, 'POST', '/v1/app/pair', { form: { code: wrong() } })).status);
    }
    assert.deepEqual(own, [...Array<number>(LIMITS.pairing_attempts.value).fill(404), 429]);
    // Through the SDK nobody pairs itself or touches a counter.
    await refusedBySdk(
      'a membership written by the user',
      setDoc(doc(clumsy.db, `tenants/${w.a.id}/extensions/400/members/${clumsy.uid}`), {
        uid: clumsy.uid,
        tenant: w.a.id,
        extension: '400',
      }),
    );
    await refusedBySdk(
      'the counters',
      getDocs(query(collection(clumsy.db, 'rateLimits'), where('count', '>', 0))),
    );
  });
});
