import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { applyPbxCancel, type Answer } from '../../functions/core/call/callState';
import {
  finishCancelPatch,
  followUpPatch,
  leaseCancelPatch,
} from '../../functions/core/cancel/cancelJobState';
import { applyDeliveries } from '../../functions/core/ring/recordDeliveries';
import type { Call, Delivery, DeliveryResult } from '../../functions/core/model';
import { takeFanOutLease } from '../../functions/core/ring/fanOutLease';
import type { CallStore } from '../../functions/core/ports';
import { eventually } from '../support/wait';

/**
 * The CallStore contract: what the core relies on, checked against every implementation (the
 * in-memory double in test/unit, FirestoreCallStore on the emulator in test/integration), so the
 * double cannot drift from the real store. Each test works under a fresh tenant.
 */

/** Fields a store may add for its own bookkeeping (Firestore's TTL field). */
const STORAGE_ONLY = ['purgeAt'];
const plain = (call: Call | null) =>
  call &&
  (Object.fromEntries(Object.entries(call).filter(([k]) => !STORAGE_ONLY.includes(k))) as Call);

const pending = (extra: Partial<Delivery> = {}): Delivery => ({
  platform: 'android',
  provider: 'fcm',
  kind: 'data',
  status: 'pending',
  attempts: 0,
  ...extra,
});

function ringing(tenant: string, overrides: Partial<Call> = {}): Call {
  const now = Date.now();
  return {
    tenant,
    callId: `c-${randomBytes(4).toString('hex')}`,
    callUuid: `u-${randomBytes(8).toString('hex')}`,
    extension: '100',
    sipCallId: 'sip-1',
    status: 'ringing',
    ringTimeout: 30,
    createdAt: now,
    expiresAt: now + 30_000,
    devices: 2,
    pushed: 0,
    deliveries: { 'pixel.8': pending(), tablet: pending() },
    fanOut: { holder: 'creator', takenAt: now, leaseUntil: now + 2_500 },
    ...overrides,
  };
}

const result = (status: DeliveryResult['status'], extra: Partial<DeliveryResult> = {}) => ({
  status,
  attempts: 1,
  pushedAt: 1_000,
  settledAt: 1_050,
  ...extra,
});

export function callStoreContract(name: string, make: () => CallStore): void {
  describe(`CallStore contract: ${name}`, () => {
    let store: CallStore;
    let tenant: string;
    beforeEach(() => {
      store = make();
      tenant = `t-${randomBytes(6).toString('hex')}`;
    });
    const answer = (deviceId: string, action: Answer['action'] = 'accept'): Answer => ({
      action,
      deviceId,
      uid: `uid-${deviceId}`,
      answeredAt: Date.now(),
    });

    it('creates a call once: the first writer wins and later ones get the stored call', async () => {
      const call = ringing(tenant);
      const first = await store.createOnce(call);
      assert.equal(first.created, true);
      assert.deepEqual(plain(first.call), call);
      const again = await store.createOnce({ ...call, ringTimeout: 60, devices: 9 });
      assert.equal(again.created, false);
      assert.deepEqual(plain(again.call), call);
      assert.deepEqual(plain(await store.get(tenant, call.callUuid)), call);
      assert.equal(await store.get(tenant, 'no-such-call'), null);
    });

    it('makes exactly one of concurrent creates the creator', async () => {
      const call = ringing(tenant);
      const all = await Promise.all(Array.from({ length: 5 }, () => store.createOnce(call)));
      assert.equal(all.filter((r) => r.created).length, 1);
    });

    it('merges a transition as Firestore set-with-merge does, and returns the call as it was', async () => {
      const call = ringing(tenant, { cancel: { state: 'sent', reason: 'hangup', targets: ['a'] } });
      await store.createOnce(call);
      const done = await store.transition(tenant, call.callUuid, () => ({
        deliveries: { 'pixel.8': { deliveredAt: 5 } },
        cancel: { targets: ['b', 'c'] },
        pushed: 1,
      }));
      assert.deepEqual(plain(done?.call ?? null), call);
      const after = plain(await store.get(tenant, call.callUuid))!;
      // Maps merge key by key (a dotted device id is one key); arrays are replaced whole.
      assert.deepEqual(after.deliveries['pixel.8'], { ...pending(), deliveredAt: 5 });
      assert.deepEqual(after.deliveries.tablet, pending());
      assert.deepEqual(after.cancel, { state: 'sent', reason: 'hangup', targets: ['b', 'c'] });
      assert.equal(after.pushed, 1);
    });

    it('writes nothing for a null patch, and answers null for an unknown call', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const none = await store.transition(tenant, call.callUuid, () => null);
      assert.equal(none?.patch, null);
      assert.deepEqual(plain(await store.get(tenant, call.callUuid)), call);
      assert.equal(await store.transition(tenant, 'no-such-call', () => ({ pushed: 1 })), null);
    });

    it('records every field of a push outcome, and keeps the better of two', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const accepted = result('accepted', { providerStatus: 200, providerId: 'projects/p/m/1' });
      const unknown = result('unknown', { reason: 'timeout', attempts: 2 });
      await store.transition(tenant, call.callUuid, (c) =>
        applyDeliveries(c, { 'pixel.8': accepted, tablet: unknown }),
      );
      // A slower run's worse outcome for the same device, landing later, changes nothing.
      await store.transition(tenant, call.callUuid, (c) =>
        applyDeliveries(c, { 'pixel.8': result('failed', { reason: 'timeout' }) }),
      );
      const after = plain(await store.get(tenant, call.callUuid))!;
      assert.deepEqual(after.deliveries['pixel.8'], {
        ...pending(),
        status: 'accepted',
        attempts: 1,
        providerStatus: 200,
        providerId: 'projects/p/m/1',
        pushedAt: 1_000,
        settledAt: 1_050,
      });
      assert.deepEqual(after.deliveries.tablet, {
        ...pending(),
        status: 'unknown',
        attempts: 2,
        reason: 'timeout',
        pushedAt: 1_000,
        settledAt: 1_050,
      });
      assert.equal(after.pushed, 1);
    });

    it('lets exactly one of concurrent runs take a lapsed fan-out lease, one without takenAt too', async () => {
      // A lease as a document may hold it without `takenAt`: the take reads only its end.
      const lapsed = { leaseUntil: 0, holder: 'dead' } as Call['fanOut'];
      const call = ringing(tenant, { fanOut: lapsed });
      await store.createOnce(call);
      const now = Date.now();
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          store.transition(tenant, call.callUuid, (c) => takeFanOutLease(c, now, 2_500, 'next')),
        ),
      );
      assert.equal(runs.filter((r) => r?.patch).length, 1);
      assert.deepEqual((await store.get(tenant, call.callUuid))?.fanOut, {
        holder: 'next',
        takenAt: now,
        leaseUntil: now + 2_500,
      });
    });

    it('runs the cancel job: one lease, rounds, and a follow-up after it was sent', async () => {
      const call = ringing(tenant, { deliveries: { a: pending({ status: 'accepted' }) } });
      await store.createOnce(call);
      const now = Date.now();
      await store.transition(tenant, call.callUuid, (c) => applyPbxCancel(c, 'hangup', now));
      const lease = () =>
        store.transition(tenant, call.callUuid, (c) => leaseCancelPatch(c, now, 15_000, 'run'));
      assert.notEqual((await lease())?.patch, null, 'the first run takes the job');
      assert.equal((await lease())?.patch, null, 'the next finds it held');
      await store.transition(tenant, call.callUuid, (c) =>
        finishCancelPatch(c, 0, { a: result('accepted') }, now + 10),
      );
      let after = plain(await store.get(tenant, call.callUuid))!;
      assert.equal(after.cancel?.state, 'sent');
      assert.equal(after.cancels?.a?.status, 'accepted');
      await store.transition(tenant, call.callUuid, (c) => followUpPatch(c, ['b']));
      after = plain(await store.get(tenant, call.callUuid))!;
      assert.deepEqual(
        { state: after.cancel?.state, targets: after.cancel?.targets, round: after.cancel?.round },
        { state: 'pending', targets: ['b'], round: 1 },
      );
    });

    it('settles answers once: the first wins, later ones are late, a repeat reports the same', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const now = Date.now();
      assert.equal(await store.createAnswer(tenant, call.callUuid, answer('pixel.8'), 'sdk'), true);
      assert.equal(
        await store.createAnswer(tenant, call.callUuid, answer('pixel.8'), 'sdk'),
        false,
      );
      assert.equal(await store.settleAnswer(tenant, call.callUuid, answer('pixel.8'), now), 'won');
      assert.equal(await store.settleAnswer(tenant, call.callUuid, answer('pixel.8'), now), 'won');
      await store.createAnswer(tenant, call.callUuid, answer('tablet'), 'sdk');
      assert.equal(await store.settleAnswer(tenant, call.callUuid, answer('tablet'), now), 'late');
      const after = plain(await store.get(tenant, call.callUuid))!;
      assert.equal(after.status, 'accepted');
      assert.equal(after.answeredBy, 'pixel.8');
      assert.equal(after.deliveries.tablet?.late, true);
      assert.equal(await store.settleAnswer(tenant, 'no-such-call', answer('x'), now), 'no_call');
    });

    it("reads back a device's answer, with its outcome once settled", async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const uuid = call.callUuid;
      assert.equal(await store.getAnswer(tenant, uuid, 'pixel.8'), null);
      await store.createAnswer(tenant, uuid, answer('pixel.8'), 'api');
      const stored = await store.getAnswer(tenant, uuid, 'pixel.8');
      assert.deepEqual(
        [stored?.answer.action, stored?.answer.deviceId, stored?.answer.uid, stored?.outcome],
        [answer('pixel.8').action, 'pixel.8', answer('pixel.8').uid, undefined],
      );
      assert.ok(Number.isFinite(stored?.answer.answeredAt));
      await store.settleAnswer(tenant, uuid, answer('pixel.8'), Date.now());
      assert.equal((await store.getAnswer(tenant, uuid, 'pixel.8'))?.outcome, 'won');
      assert.equal(await store.getAnswer(tenant, uuid, 'tablet'), null);
    });

    it('makes an answer settled at or after the ring deadline late, judged as of the commit, and the call missed', async () => {
      const now = Date.now();
      const call = ringing(tenant, { expiresAt: now - 1 });
      await store.createOnce(call);
      await store.createAnswer(tenant, call.callUuid, answer('pixel.8'), 'sdk');
      // The caller's clock said "in time" (a slow commit): the store still says late.
      const stale = now - 60_000;
      assert.equal(
        await store.settleAnswer(tenant, call.callUuid, answer('pixel.8'), stale),
        'late',
      );
      const after = plain(await store.get(tenant, call.callUuid))!;
      assert.equal(after.status, 'missed');
      assert.equal(after.endReason, 'timeout');
      assert.equal(after.deliveries['pixel.8']?.late, true);
    });

    it('stores one receipt per device', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      assert.equal(await store.createReceipt(tenant, call.callUuid, 'tablet', 'u'), true);
      assert.equal(await store.createReceipt(tenant, call.callUuid, 'tablet', 'u'), false);
    });

    it('waits for a change, and gives up at the timeout with the call as last seen', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const waiting = store.waitFor(tenant, call.callUuid, (c) => c.status !== 'ringing', 20_000);
      await store.transition(tenant, call.callUuid, (c) => applyPbxCancel(c, 'hangup', 1));
      assert.equal((await waiting)?.status, 'cancelled');
      // Long enough for the listener's first snapshot on a loaded machine: until it comes, the
      // store has seen no call, and a wait that times out before then returns null.
      const timedOut = await store.waitFor(tenant, call.callUuid, () => false, 3_000);
      assert.equal(timedOut?.status, 'cancelled');
      assert.equal(await store.waitFor(tenant, 'no-such-call', () => true, 50), null);
    });

    it('does not tell a watcher of an answer the answer route stored: the route settles it', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const uuid = call.callUuid;
      const answer = (deviceId: string): Answer => ({
        action: 'accept',
        deviceId,
        uid: `uid-${deviceId}`,
        answeredAt: 0,
      });
      const seen: string[] = [];
      const stop = store.watchAnswers(tenant, uuid, (a) => seen.push(a.deviceId));
      await store.createAnswer(tenant, uuid, answer('by-route'), 'api');
      await store.createAnswer(tenant, uuid, answer('by-app'), 'sdk');
      // Told in the order written: by the app's, the route's would have been told.
      await eventually(() => seen.includes('by-app'), "the app's answer told");
      stop();
      assert.deepEqual(seen, ['by-app']);
    });

    it('tells a watcher each unsettled answer with its creation time, those there first and each new one, until stopped', async () => {
      const call = ringing(tenant);
      await store.createOnce(call);
      const uuid = call.callUuid;
      const answer = (deviceId: string): Answer => ({
        action: 'decline',
        deviceId,
        uid: `uid-${deviceId}`,
        answeredAt: 0,
      });
      await store.createAnswer(tenant, uuid, answer('there'), 'sdk');
      await store.createAnswer(tenant, uuid, answer('settled'), 'sdk');
      await store.settleAnswer(tenant, uuid, answer('settled'), Date.now());
      const seen: (Answer & { createdAt: number })[] = [];
      const stop = store.watchAnswers(tenant, uuid, (a, createdAt) =>
        seen.push({ ...a, createdAt }),
      );
      const told = (deviceId: string) =>
        eventually(() => seen.some((a) => a.deviceId === deviceId), `${deviceId} told`);
      await told('there');
      await store.createAnswer(tenant, uuid, answer('new'), 'sdk');
      await told('new');
      stop();
      // A second watcher seeing a later answer: the stopped one would have seen it by then.
      await store.createAnswer(tenant, uuid, answer('late'), 'sdk');
      const after: string[] = [];
      const stopAfter = store.watchAnswers(tenant, uuid, (a) => after.push(a.deviceId));
      await eventually(() => after.includes('late'), 'late told to the second watcher');
      stopAfter();
      assert.deepEqual(
        seen.map((a) => [a.deviceId, a.action, a.uid]),
        [
          ['there', 'decline', 'uid-there'],
          ['new', 'decline', 'uid-new'],
        ],
      );
      assert.ok(seen.every((a) => Number.isFinite(a.answeredAt) && Number.isFinite(a.createdAt)));
      // The store's own time of each creation: the later answer's is not earlier.
      const [there, created] = seen.map((a) => a.createdAt);
      assert.ok(there !== undefined && created !== undefined && created >= there, 'in order');
    });
  });
}
