import assert from 'node:assert/strict';
import { callUuid } from '../../../../functions/core/call/callUuid';
import type { Call, Delivery, Device } from '../../../../functions/core/model';
import { handle } from '../../../../functions/http/router';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';
import { NOW, ringingCall } from '../../core/fixtures';
import { aliceAndBobOn100 } from '../appUsers';

const KEY = 'k-acme';
const CALL_ID = '1700000000.42';
const UUID = callUuid('acme', CALL_ID);
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** A fresh record each time: the fake store would share one object between devices. */
const pushed = (): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status: 'accepted',
  attempts: 1,
  pushedAt: NOW,
});

const device = (deviceId: string, extension: string, ownerUid?: string): Device => ({
  deviceId,
  extension,
  platform: 'android',
  fcmToken: `fcm-${deviceId}-${'x'.repeat(30)}`,
  apnsEnv: 'production',
  lastSeenAt: NOW,
  ...(ownerUid ? { ownerUid } : {}),
});

describe('app call routes through the router', () => {
  let ctx: FakeApiContext;
  let alice: string;
  let bob: string;

  beforeEach(async () => {
    ({ ctx, alice, bob } = await aliceAndBobOn100(KEY));
    ctx.devices.put('acme', device('alice-pixel', '100', 'uid-alice'));
    ctx.devices.put('acme', device('alice-tablet', '100', 'uid-alice'));
    ctx.devices.put('acme', device('bob-phone', '100', 'uid-bob'));
    ctx.devices.put('acme', device('desk-phone', '100'));
    ctx.devices.put('acme', device('alice-200', '200', 'uid-alice'));
    await ctx.calls.createOnce(
      ringingCall({
        callId: CALL_ID,
        devices: 4,
        pushed: 4,
        deliveries: {
          'alice-pixel': pushed(),
          'alice-tablet': pushed(),
          'bob-phone': pushed(),
          'desk-phone': pushed(),
        },
      }),
    );
  });

  const post = (
    token: string,
    callId: string,
    action: 'answer' | 'ack',
    body: Record<string, unknown>,
  ) =>
    handle(
      apiRequest('POST', `/v1/app/calls/${encodeURIComponent(callId)}/${action}`, {
        headers: { Authorization: `Bearer ${token}`, ...JSON_TYPE },
        body: JSON.stringify(body),
      }),
      ctx,
    );

  const answer = (token: string, deviceId: string, action = 'accept', callId = CALL_ID) =>
    post(token, callId, 'answer', { device_id: deviceId, action });

  const stored = async (tenant = 'acme', uuid = UUID): Promise<Call> =>
    (await ctx.calls.get(tenant, uuid))!;

  /** An accept from alice-pixel stored by an earlier try of the route, not settled. */
  const storedAccept = (uid: string) =>
    ctx.calls.createAnswer(
      'acme',
      UUID,
      { action: 'accept', deviceId: 'alice-pixel', uid, answeredAt: NOW },
      'api',
    );

  describe('POST /v1/app/calls/{call_id}/answer', () => {
    it("lets a member's accept from their own device win the call", async () => {
      assert.deepEqual(await answer(alice, 'alice-pixel'), {
        status: 200,
        body: { outcome: 'won', status: 'accepted', call_uuid: UUID },
      });
      const call = await stored();
      assert.equal(call.status, 'accepted');
      assert.equal(call.answeredBy, 'alice-pixel');
      assert.equal(call.answeredAt, ctx.clock.now());
      assert.equal(call.endReason, 'answered');
      assert.equal(call.cancel?.reason, 'answered_elsewhere');
      assert.deepEqual(call.cancel, {
        state: 'pending',
        reason: 'answered_elsewhere',
        targets: ['alice-tablet', 'bob-phone', 'desk-phone'],
      });
      assert.deepEqual(ctx.calls.answer(UUID, 'alice-pixel'), {
        action: 'accept',
        deviceId: 'alice-pixel',
        uid: 'uid-alice',
        answeredAt: ctx.clock.now(),
        createdAt: ctx.clock.now(),
        door: 'api',
        outcome: 'won',
      });
    });

    it('makes the answer of a second device late, leaving the winner', async () => {
      await answer(alice, 'alice-pixel');
      assert.deepEqual(await answer(alice, 'alice-tablet'), {
        status: 200,
        body: { outcome: 'late', status: 'accepted', call_uuid: UUID },
      });
      assert.deepEqual(await answer(bob, 'bob-phone', 'decline'), {
        status: 200,
        body: { outcome: 'late', status: 'accepted', call_uuid: UUID },
      });
      const call = await stored();
      assert.equal(call.answeredBy, 'alice-pixel');
      assert.equal(call.deliveries['alice-tablet']?.late, true);
      assert.equal(call.deliveries['bob-phone']?.answer, 'decline');
      assert.equal(call.deliveries['bob-phone'].late, true);
    });

    it('answers 409 to a second answer from the same device', async () => {
      await answer(alice, 'alice-pixel');
      assert.deepEqual(await answer(alice, 'alice-pixel', 'decline'), {
        status: 409,
        body: { error: 'conflict', message: 'Device alice-pixel has already answered this call.' },
      });
      const call = await stored();
      assert.equal(call.status, 'accepted');
      assert.equal(call.deliveries['alice-pixel']?.answer, 'accept');
    });

    it('answers a retry of the same answer with its outcome, changing nothing', async () => {
      const first = await answer(alice, 'alice-pixel');
      const before = structuredClone(await stored());
      assert.deepEqual(await answer(alice, 'alice-pixel'), first);
      assert.deepEqual(await stored(), before);
    });

    it('settles a retry whose first try stored the answer but never settled it', async () => {
      // The first try's store ran out of time after the document was written (429 busy).
      await storedAccept('uid-alice');
      assert.deepEqual(await answer(alice, 'alice-pixel'), {
        status: 200,
        body: { outcome: 'won', status: 'accepted', call_uuid: UUID },
      });
      assert.equal((await stored()).answeredBy, 'alice-pixel');
    });

    it("answers 409 when the device's stored answer came from another user", async () => {
      // The device changed hands during the call: the earlier owner's answer is not this one's.
      await storedAccept('uid-bob');
      assert.equal((await answer(alice, 'alice-pixel')).status, 409);
      assert.equal((await stored()).status, 'ringing');
    });

    it('declines the call for every device', async () => {
      assert.deepEqual(await answer(bob, 'bob-phone', 'decline'), {
        status: 200,
        body: { outcome: 'won', status: 'declined', call_uuid: UUID },
      });
      const call = await stored();
      assert.equal(call.answeredBy, undefined);
      assert.deepEqual(call.cancel?.targets, ['alice-pixel', 'alice-tablet', 'desk-phone']);
    });

    it('answers 403 to a member answering as a device the PBX registered: only the PBX speaks for it', async () => {
      for (const action of ['accept', 'decline']) {
        assert.deepEqual(await answer(alice, 'desk-phone', action), {
          status: 403,
          body: {
            error: 'permission_denied',
            message: 'Device desk-phone is not one you registered on extension 100.',
          },
        });
      }
      assert.equal((await stored()).status, 'ringing');
      assert.equal(ctx.calls.answers.size, 0);
    });

    it('answers 404 to a user who is not a member of the extension', async () => {
      const mallory = signIn(ctx, 'uid-mallory');
      assert.deepEqual(await answer(mallory, 'alice-pixel'), {
        status: 404,
        body: { error: 'not_found', message: `No call ${CALL_ID} is known for your extensions.` },
      });
      await ctx.members.add('acme', '200', 'uid-carol', 'pairing');
      ctx.devices.put('acme', device('carol-phone', '200', 'uid-carol'));
      const carol = signIn(ctx, 'uid-carol');
      assert.equal((await answer(carol, 'carol-phone')).status, 404);
      assert.equal((await stored()).status, 'ringing');
    });

    it('answers 403 for a device of another extension, of another user, or unknown', async () => {
      for (const deviceId of ['alice-200', 'bob-phone', 'no-such-device']) {
        const res = await answer(alice, deviceId);
        assert.deepEqual(
          res,
          {
            status: 403,
            body: {
              error: 'permission_denied',
              message: `Device ${deviceId} is not one you registered on extension 100.`,
            },
          },
          deviceId,
        );
      }
      assert.equal((await stored()).status, 'ringing');
      assert.equal(ctx.calls.answers.size + ctx.calls.receipts.size, 0);
    });

    it("reads the device beside the call; a failed device read answers only for the user's own call", async () => {
      const getCall = ctx.calls.get.bind(ctx.calls);
      let devicesRead = 0;
      let deviceReadBeforeCall = false;
      ctx.devices.get = () => {
        devicesRead += 1;
        return Promise.reject(new Error('device read failed'));
      };
      ctx.calls.get = async (...args) => {
        const call = await getCall(...args);
        if (devicesRead > 0) deviceReadBeforeCall = true;
        return call;
      };
      // Not the user's call: 404 as before, whatever the device read did.
      const mallory = signIn(ctx, 'uid-mallory');
      assert.equal((await answer(mallory, 'alice-pixel')).status, 404);
      assert.equal((await answer(alice, 'alice-pixel', 'accept', 'nope')).status, 404);
      assert.ok(deviceReadBeforeCall, 'the device read began before the call read ended');
      // The user's call: the failure is the answer, and nothing is stored.
      const res = await answer(alice, 'alice-pixel');
      assert.equal(res.status, 500, JSON.stringify(res.body));
      assert.equal((await stored()).status, 'ringing');
      assert.equal(ctx.calls.answers.size, 0);
    });

    it('answers 404 for an unknown call, 400 for a bad action, 401 to an API key', async () => {
      assert.equal((await answer(alice, 'alice-pixel', 'accept', 'nope')).status, 404);
      const bad = await answer(alice, 'alice-pixel', 'maybe');
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.details as object), ['action']);
      assert.equal((await answer(KEY, 'alice-pixel')).status, 401);
      assert.equal((await stored()).status, 'ringing');
    });

    it('answers a call that is already over with outcome late', async () => {
      const cancel = await handle(
        apiRequest('POST', `/v1/calls/${CALL_ID}/cancel`, {
          headers: { Authorization: `Bearer ${KEY}` },
        }),
        ctx,
      );
      assert.equal(cancel.status, 200);
      assert.deepEqual(await answer(alice, 'alice-pixel'), {
        status: 200,
        body: { outcome: 'late', status: 'cancelled', call_uuid: UUID },
      });
    });

    /**
     * Two PBXs can hand out the same call id (Asterisk's epoch.sequence ids
     * often do). Alice is a member of globex's extension `globexExtension`
     * (listed first) and of acme's extension 100, where her device and the
     * call ringing it are; globex has a call with the same id for `globexCallExtension`.
     */
    async function sameCallIdInTwoTenants(globexExtension: string, globexCallExtension: string) {
      ctx = fakeApiContext();
      const token = signIn(ctx, 'uid-alice');
      await ctx.members.add('globex', globexExtension, 'uid-alice', 'pairing');
      await ctx.members.add('acme', '100', 'uid-alice', 'pairing');
      ctx.devices.put('acme', device('alice-pixel', '100', 'uid-alice'));
      await ctx.calls.createOnce(
        ringingCall({ tenant: 'globex', callId: CALL_ID, extension: globexCallExtension }),
      );
      await ctx.calls.createOnce(
        ringingCall({ callId: CALL_ID, deliveries: { 'alice-pixel': pushed() } }),
      );
      return token;
    }

    it('refuses as ambiguous, changing nothing, an answer naming no tenant from a user of two', async () => {
      for (const [globexExtension, globexCallExtension] of [
        ['200', '999'],
        ['100', '100'],
      ] as const) {
        const token = await sameCallIdInTwoTenants(globexExtension, globexCallExtension);
        const res = await answer(token, 'alice-pixel');
        assert.equal(res.status, 400);
        assert.deepEqual(res.body.details, {
          tenant: 'is required (you are a member in several tenants)',
        });
        assert.equal((await stored()).status, 'ringing');
        assert.equal((await stored('globex', callUuid('globex', CALL_ID))).status, 'ringing');
      }
    });

    it('uses the tenant named in the body', async () => {
      const token = await sameCallIdInTwoTenants('200', '999');
      const named = (tenant: string) =>
        post(token, CALL_ID, 'answer', { device_id: 'alice-pixel', action: 'accept', tenant });
      assert.equal((await named('globex')).status, 404);
      assert.deepEqual(await named('acme'), {
        status: 200,
        body: { outcome: 'won', status: 'accepted', call_uuid: UUID },
      });
      assert.equal((await stored('globex', callUuid('globex', CALL_ID))).status, 'ringing');
    });
  });

  describe('POST /v1/app/calls/{call_id}/ack', () => {
    const ack = (token: string, deviceId: string, callId = CALL_ID) =>
      post(token, callId, 'ack', { device_id: deviceId });

    it("sets the device's delivered time and stores the receipt", async () => {
      ctx.clock.current += 1_200;
      assert.deepEqual(await ack(alice, 'alice-pixel'), {
        status: 200,
        body: { status: 'ringing', call_uuid: UUID },
      });
      const call = await stored();
      assert.equal(call.deliveries['alice-pixel']?.deliveredAt, ctx.clock.now());
      assert.equal(call.deliveries['alice-pixel'].status, 'accepted');
      assert.equal(call.deliveries['alice-tablet']?.deliveredAt, undefined);
      const receipt = ctx.calls.receipts.get(`${UUID}/alice-pixel`);
      assert.equal(receipt?.uid, 'uid-alice');
      assert.equal(receipt.deviceId, 'alice-pixel');
    });

    it('keeps the first delivered time when acknowledged twice', async () => {
      await ack(alice, 'alice-pixel');
      const first = ctx.clock.now();
      ctx.clock.current += 5_000;
      assert.equal((await ack(alice, 'alice-pixel')).status, 200);
      assert.equal((await stored()).deliveries['alice-pixel']?.deliveredAt, first);
    });

    it('answers 404 to a non-member and 403 for a device that is not theirs', async () => {
      const mallory = signIn(ctx, 'uid-mallory');
      assert.equal((await ack(mallory, 'alice-pixel')).status, 404);
      assert.equal((await ack(alice, 'bob-phone')).status, 403);
      assert.equal((await ack(alice, 'alice-200')).status, 403);
      assert.equal((await ack(alice, 'desk-phone')).status, 403, "the PBX's phone");
      assert.equal((await ack(alice, 'alice-pixel', 'nope')).status, 404);
      assert.equal((await stored()).deliveries['bob-phone']?.deliveredAt, undefined);
      assert.equal(ctx.calls.answers.size + ctx.calls.receipts.size, 0);
    });
  });
});
