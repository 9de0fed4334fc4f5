import assert from 'node:assert/strict';
import { callUuid } from '../../../../functions/core/call/callUuid';
import { FANOUT_LEASE_MS } from '../../../../functions/core/ring/fanOutLease';
import { startIncomingCall } from '../../../../functions/core/ring/incomingCall';
import { applyPbxCancel } from '../../../../functions/core/call/callState';
import { sweep, type SweepDeps } from '../../../../functions/core/upkeep/maintenance';
import type { Call } from '../../../../functions/core/model';
import type { SendResult } from '../../../../functions/core/send/push';
import type { IncomingCallRequest } from '../../../../functions/core/schemas';
import { deferred, FakeCallStore, settle } from '../../../support/fakes';
import { androidDevice, FCM_TOKEN, NOW } from '../fixtures';
import { cancelDeps, ringPorts, type RingPorts } from '../ringDeps';

const TENANT = 'acme';
const REQUEST: IncomingCallRequest = { call_id: 'pbx-7', to: '100', ring_timeout: 30 };
const UUID = callUuid(TENANT, REQUEST.call_id);
const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };

/** Two Android devices on the extension. */
function setup() {
  const s = ringPorts();
  s.devices.put(TENANT, androidDevice());
  s.devices.put(TENANT, androidDevice({ deviceId: 'tablet', fcmToken: 'tablet-token' }));
  return s;
}

/** The call as a request that died right after its create left it: every push pending. */
async function orphan(s: ReturnType<typeof setup>, leaseUntil: number): Promise<Call> {
  const dead = { ...s.deps, senders: { fcm: hang(), apns: hang(), webpush: hang(), hms: hang() } };
  void startIncomingCall(TENANT, REQUEST, dead);
  await settle();
  s.calls.put({
    ...s.calls.peek(TENANT, UUID)!,
    fanOut: { holder: 'dead', takenAt: NOW, leaseUntil },
  });
  return s.calls.peek(TENANT, UUID)!;
}
/**
 * When each call transition started, from NOW on, in virtual ms; the n-th fails (a store outage)
 * when `fails(n)`.
 */
function transitionTimes(s: RingPorts, fails: (n: number) => boolean = () => false): number[] {
  const times: number[] = [];
  const transition = s.calls.transition.bind(s.calls);
  s.calls.transition = (tenant, uuid, change) => {
    times.push(s.clock.now() - NOW);
    if (fails(times.length)) return Promise.reject(new Error('store outage'));
    return transition(tenant, uuid, change);
  };
  return times;
}
/** FCM answers the pixel's push only once the test resolves the returned promise. */
function fcmAnswersLater(s: RingPorts) {
  const answer = deferred<SendResult>();
  s.fcm.script(FCM_TOKEN, answer);
  return answer;
}
const hang = () => ({ send: () => new Promise<SendResult>(() => undefined) });

describe('the fan-out lease: who finishes a call whose pushes were never all sent', () => {
  it('a duplicate waits for the request holding the lease and answers with its outcome', async () => {
    const s = setup();
    const slow = fcmAnswersLater(s);
    const first = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    const copy = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    slow.resolve(ACCEPTED);
    const [a, b] = await Promise.all([first, copy]);
    assert.deepEqual([a.pushed, b.pushed, b.duplicate], [2, 2, true]);
    assert.equal(s.fcm.sent.length, 2, 'one push per device');
  });

  it('renews the lease while its pushes are slow, so a duplicate does not push again', async () => {
    const s = setup();
    const slow = fcmAnswersLater(s);
    const first = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    const copy = startIncomingCall(TENANT, REQUEST, s.deps);
    // Ten virtual seconds pass with the first request alive and waiting on FCM.
    const waited = s.clock.sleep(5_000).then(() => {
      slow.resolve(ACCEPTED);
    });
    await Promise.all([first, copy, waited]);
    assert.equal(s.fcm.sent.length, 2);
    assert.ok(s.calls.peek(TENANT, UUID)!.fanOut!.leaseUntil > NOW + FANOUT_LEASE_MS);
  });

  it('a duplicate takes over once the lease of a request that died has lapsed', async () => {
    const s = setup();
    await orphan(s, NOW + FANOUT_LEASE_MS);
    const retry = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(retry.pushed, 2);
    assert.ok(s.clock.now() >= NOW + FANOUT_LEASE_MS, 'not before the lease lapsed');
    const call = s.calls.peek(TENANT, UUID)!;
    assert.deepEqual(
      Object.values(call.deliveries).map((d) => d.status),
      ['accepted', 'accepted'],
    );
  });

  it('records a refused resumed push as unknown: the dead request may have rung the phone', async () => {
    const s = setup();
    await orphan(s, NOW);
    s.fcm.script('tablet-token', { kind: 'failed', retryable: false, status: 400, reason: 'x' });
    await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(s.calls.peek(TENANT, UUID)!.deliveries.tablet?.status, 'unknown');
  });

  it('the sweeper pushes a ringing call an instance left, and leaves one still held', async () => {
    const s = setup();
    await orphan(s, NOW);
    const deps: SweepDeps = {
      ring: s.deps as SweepDeps['ring'],
      cancel: cancelDeps(s.deps, 15_000),
      sendersFor: () => Promise.resolve(s.deps.senders),
      ringingCalls: () => Promise.resolve(s.calls.all().filter((c) => c.status === 'ringing')),
      openCancelJobs: () => Promise.resolve([]),
    };
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 1, cancels: 0, failed: 0 });
    assert.equal(s.fcm.sent.length, 2);
    assert.deepEqual(await sweep(deps, NOW + 2_000), { resumed: 0, cancels: 0, failed: 0 });
  });
});

/** Counts the store transactions on each call (a lease renewal, a take, a record are each one). */
function countTransitions(calls: FakeCallStore): Map<string, number[]> {
  const at = new Map<string, number[]>();
  const transition = calls.transition.bind(calls);
  calls.transition = (tenant, uuid, change) => {
    at.set(uuid, [...(at.get(uuid) ?? []), Date.now()]);
    return transition(tenant, uuid, change);
  };
  return at;
}

describe('the fan-out lease heartbeat', () => {
  it('renews at half the lease while the pushes are slow, and stops with them', async () => {
    const s = setup();
    const renewals = transitionTimes(s);
    const slow = fcmAnswersLater(s);
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await s.clock.sleep(7_000);
    slow.resolve(ACCEPTED);
    await ringing;
    // Renewals at 2, 4 and 6 s, then the record; none once the work is done.
    assert.deepEqual(renewals, [
      FANOUT_LEASE_MS / 2,
      FANOUT_LEASE_MS,
      (3 * FANOUT_LEASE_MS) / 2,
      7_000,
    ]);
    await s.clock.sleep(30_000);
    assert.equal(renewals.length, 4, 'no renewal after the work');
  });

  it('tries a failed renewal again a quarter lease later, and keeps the lease', async () => {
    const s = setup();
    const tries = transitionTimes(s, (n) => n === 1);
    const slow = fcmAnswersLater(s);
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await s.clock.sleep(3_500);
    slow.resolve(ACCEPTED);
    await ringing;
    assert.deepEqual(tries, [
      FANOUT_LEASE_MS / 2,
      FANOUT_LEASE_MS / 2 + FANOUT_LEASE_MS / 4,
      3_500,
    ]);
  });

  it('stops renewing once another request took the lease', async () => {
    const s = setup();
    const renewals = transitionTimes(s);
    const slow = fcmAnswersLater(s);
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    const call = s.calls.peek(TENANT, UUID)!;
    s.calls.put({ ...call, fanOut: { holder: 'another', takenAt: NOW, leaseUntil: NOW + 1_000 } });
    await s.clock.sleep(9_000);
    slow.resolve(ACCEPTED);
    await ringing;
    assert.deepEqual(renewals, [FANOUT_LEASE_MS / 2, 9_000], 'one try, then only the record');
  });
});

describe('resuming a fan-out', () => {
  it('a duplicate of a call whose pushes are all recorded answers at once', async () => {
    const s = setup();
    await startIncomingCall(TENANT, REQUEST, s.deps);
    const before = s.clock.now();
    const copy = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(copy.duplicate, true);
    assert.equal(s.clock.now(), before, 'no wait');
  });

  it('a duplicate looks again soon, then less often, and gives up at its own budget', async () => {
    const s = setup();
    await orphan(s, NOW + 60_000);
    const copy = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(copy.pushed, 0, 'the lease never lapsed within its budget');
    assert.equal(s.clock.now(), NOW + s.deps.sendBudgetMs);
    const polls = s.clock.sleeps.filter((ms) => ms <= 1_000);
    assert.deepEqual(polls.slice(0, 6), [100, 200, 400, 800, 1_000, 1_000]);
    assert.equal(s.fcm.sent.length, 0);
  });

  it("a duplicate's last look comes exactly at its budget, never past it", async () => {
    const s = setup();
    await orphan(s, NOW + 60_000);
    const copy = await startIncomingCall(TENANT, REQUEST, { ...s.deps, sendBudgetMs: 3_000 });
    assert.equal(copy.pushed, 0);
    assert.deepEqual(
      s.clock.sleeps.filter((ms) => ms <= 1_000),
      [100, 200, 400, 800, 1_000, 500],
    );
    assert.equal(s.clock.now(), NOW + 3_000);
  });

  it('a duplicate takes over the moment a lease lapses, not at its next look', async () => {
    const s = setup();
    await orphan(s, NOW + 1_250);
    const copy = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(copy.pushed, 2);
    assert.deepEqual(
      s.clock.sleeps.filter((ms) => ms <= 1_000).slice(0, 4),
      [100, 200, 400, 551],
      'the fourth look waits only until just after the lease ends',
    );
    assert.deepEqual(
      s.fcm.sent.map((p) => p.at),
      [NOW + 1_251, NOW + 1_251],
    );
  });

  it('a duplicate pushes nothing when another took the lease as it reached for it', async () => {
    const s = setup();
    await orphan(s, NOW);
    const transition = s.calls.transition.bind(s.calls);
    let raced = false;
    s.calls.transition = (tenant, uuid, change) => {
      if (!raced) {
        raced = true;
        const call = s.calls.peek(tenant, uuid)!;
        s.calls.put({
          ...call,
          fanOut: { holder: 'another', takenAt: NOW, leaseUntil: NOW + 60_000 },
        });
      }
      return transition(tenant, uuid, change);
    };
    const copy = await startIncomingCall(TENANT, REQUEST, { ...s.deps, sendBudgetMs: 500 });
    assert.equal(copy.pushed, 0);
    assert.equal(s.fcm.sent.length, 0);
  });

  it('records a device deleted since with reason no_device (unknown: the dead request may have pushed it), and pushes the rest', async () => {
    const s = setup();
    await orphan(s, NOW);
    await s.devices.remove(TENANT, '100', 'tablet');
    const retry = await startIncomingCall(TENANT, REQUEST, s.deps);
    assert.equal(retry.pushed, 1);
    const tablet = s.calls.peek(TENANT, UUID)!.deliveries.tablet!;
    assert.deepEqual([tablet.status, tablet.reason, tablet.attempts], ['unknown', 'no_device', 0]);
  });
});

describe('pushing and recording', () => {
  it('retries a push only while the call still rings', async () => {
    const s = setup();
    s.fcm.script(FCM_TOKEN, {
      kind: 'failed',
      retryable: true,
      status: 503,
      reason: 'UNAVAILABLE',
    });
    const ringing = startIncomingCall(TENANT, REQUEST, s.deps);
    await settle();
    await s.calls.transition(TENANT, UUID, (c) => applyPbxCancel(c, 'hangup', s.clock.now()));
    await ringing;
    assert.equal(s.fcm.sentTo(FCM_TOKEN).length, 1, 'no retry after the hang-up');
  });

  it('answers how many pushes a provider accepted when their record fails', async () => {
    const s = setup();
    s.fcm.script('tablet-token', { kind: 'failed', retryable: false, status: 400, reason: 'x' });
    const transition = s.calls.transition.bind(s.calls);
    s.calls.transition = () => Promise.reject(new Error('store outage'));
    const answer = await startIncomingCall(TENANT, REQUEST, s.deps);
    s.calls.transition = transition;
    assert.equal(answer.pushed, 1);
  });

  it('makes no write for a call with no device to push', async () => {
    const s = setup();
    const at = countTransitions(s.calls);
    const answer = await startIncomingCall(TENANT, { ...REQUEST, to: '999' }, s.deps);
    assert.equal(answer.status, 'no_devices');
    assert.equal(at.size, 0);
  });
});

describe('the sweeper', () => {
  it('finishes what dead instances left, leaves what live ones hold, and counts it all', async () => {
    const s = setup();
    const stalled = await orphan(s, NOW);
    const held = { ...stalled, callId: 'held', callUuid: callUuid(TENANT, 'held') };
    s.calls.put({ ...held, fanOut: { holder: 'alive', takenAt: NOW, leaseUntil: NOW + 60_000 } });
    const ended = (id: string, cancel: Call['cancel']): Call => ({
      ...stalled,
      callId: id,
      callUuid: callUuid(TENANT, id),
      status: 'cancelled',
      deliveries: { pixel: { ...stalled.deliveries.pixel!, status: 'accepted' } },
      ...(cancel ? { cancel } : {}),
    });
    const orphaned = ended('orphaned', { state: 'pending', reason: 'hangup', targets: ['pixel'] });
    const busy = ended('busy', {
      state: 'sending',
      reason: 'hangup',
      targets: ['pixel'],
      leaseUntil: NOW + 60_000,
    });
    const elsewhere = { ...ended('elsewhere', undefined), tenant: 'gone' };
    for (const call of [orphaned, busy]) s.calls.put(call);
    const at = countTransitions(s.calls);
    const deps: SweepDeps = {
      ring: s.deps as SweepDeps['ring'],
      cancel: cancelDeps(s.deps, 15_000),
      sendersFor: (tenant) =>
        tenant === 'gone'
          ? Promise.reject(new Error('no such tenant'))
          : Promise.resolve(s.deps.senders),
      ringingCalls: () => Promise.resolve(s.calls.all().filter((c) => c.status === 'ringing')),
      openCancelJobs: () =>
        Promise.resolve([
          ...s.calls
            .all()
            .filter((c) => c.cancel?.state === 'pending' || c.cancel?.state === 'sending'),
          { ...elsewhere, cancel: { state: 'pending', reason: 'hangup', targets: [] } },
        ]),
    };
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 1, cancels: 1, failed: 1 });
    assert.equal(at.get(held.callUuid), undefined, 'a held lease is not even tried');
    assert.equal(at.get(busy.callUuid), undefined, 'a held cancel job is not even tried');
    assert.equal(s.calls.peek(TENANT, orphaned.callUuid)?.cancel?.state, 'sent');
  });
  /** Sweep deps over the store's calls, counting which calls it loaded senders for. */
  function sweepDeps(s: ReturnType<typeof setup>, open: () => Call[] = () => []) {
    const loaded: string[] = [];
    const deps: SweepDeps = {
      ring: s.deps as SweepDeps['ring'],
      cancel: cancelDeps(s.deps, 15_000),
      sendersFor: (tenant) => {
        loaded.push(tenant);
        return Promise.resolve(s.deps.senders);
      },
      ringingCalls: () => Promise.resolve(s.calls.all().filter((c) => c.status === 'ringing')),
      openCancelJobs: () => Promise.resolve(open()),
    };
    return { deps, loaded };
  }

  it('takes over a lease that ends exactly now, as a PBX retry would', async () => {
    const s = setup();
    await orphan(s, NOW + 1_000);
    const { deps } = sweepDeps(s);
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 1, cancels: 0, failed: 0 });
    assert.equal(s.fcm.sent.length, 2);
  });

  it('loads no credentials for a call it has nothing to do for', async () => {
    const s = setup();
    const stalled = await orphan(s, NOW + 60_000);
    const done = { ...stalled, callId: 'done', callUuid: callUuid(TENANT, 'done') };
    s.calls.put({
      ...done,
      deliveries: { pixel: { ...done.deliveries.pixel!, status: 'accepted', attempts: 1 } },
      fanOut: { holder: 'finished', takenAt: NOW, leaseUntil: NOW },
    });
    const { deps, loaded } = sweepDeps(s);
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 0, cancels: 0, failed: 0 });
    assert.deepEqual(loaded, [], 'a held lease and a finished fan-out need no senders');
  });

  it('does not count a cancel job that finished between the query and its run', async () => {
    const s = setup();
    const call = await orphan(s, NOW);
    const listed: Call = {
      ...call,
      status: 'cancelled',
      cancel: { state: 'pending', reason: 'hangup', targets: ['pixel'] },
    };
    s.calls.put({ ...listed, cancel: { ...listed.cancel!, state: 'sent' } });
    const { deps, loaded } = sweepDeps(s, () => [listed]);
    assert.deepEqual(await sweep(deps, NOW + 1_000), { resumed: 0, cancels: 0, failed: 0 });
    assert.deepEqual(loaded, [TENANT]);
    assert.equal(s.fcm.sent.length, 0);
  });
});
