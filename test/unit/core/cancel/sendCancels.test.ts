import assert from 'node:assert/strict';
import type { Call, CancelState } from '../../../../functions/core/model';
import {
  runCancelJob,
  sendCancels,
  type CancelDeps,
  type CancelRun,
} from '../../../../functions/core/cancel/sendCancels';
import type { SendResult } from '../../../../functions/core/send/push';
import { deferred, FakeCallStore, settle, type Deferred } from '../../../support/fakes';
import { androidDevice, iosVoipDevice, NOW, ringingCall, VOIP_TOKEN } from '../fixtures';
import { cancelDeps, ringPorts, type RingPorts } from '../ringDeps';

const TENANT = 'acme';
const PIXEL_TOKEN = 'fcm-pixel-' + 'p'.repeat(40);
const TABLET_TOKEN = 'fcm-tablet-' + 't'.repeat(40);
const IPHONE_TOKEN = 'fcm-iphone-' + 'i'.repeat(40);
const ACCEPTED: SendResult = { kind: 'accepted', status: 200 };

/** The ring ports with the cancel path's deps, and the call being cancelled. */
type Setup = Omit<RingPorts, 'deps'> & { deps: CancelDeps; call: Call };

/**
 * An answered call whose cancel job targets three devices with an FCM token,
 * an iOS device with only a PushKit token, and a device deleted since.
 */
async function setup(cancel: Partial<CancelState> = {}): Promise<Setup> {
  const { clock, calls, devices, fcm, apns, deps: ring } = ringPorts();
  devices.put(TENANT, androidDevice({ deviceId: 'a-pixel', fcmToken: PIXEL_TOKEN }));
  devices.put(TENANT, androidDevice({ deviceId: 'b-tablet', fcmToken: TABLET_TOKEN }));
  devices.put(TENANT, iosVoipDevice({ deviceId: 'c-iphone', fcmToken: IPHONE_TOKEN }));
  devices.put(TENANT, iosVoipDevice({ deviceId: 'd-voip-only' }));
  const call = ringingCall({
    status: 'accepted',
    answeredBy: 'z-answerer',
    endReason: 'answered_elsewhere',
    cancel: {
      state: 'pending',
      reason: 'answered_elsewhere',
      targets: ['a-pixel', 'b-tablet', 'c-iphone', 'd-voip-only', 'e-deleted'],
      ...cancel,
    },
  });
  await calls.createOnce(call);
  const deps = cancelDeps(ring, 60_000);
  return { deps, calls, devices, clock, fcm, apns, call };
}

const stored = async (s: Setup) => (await s.calls.get(TENANT, s.call.callUuid))!;
const sentRun = (n: number): CancelRun => ({ kind: 'sent', sent: n });
const IDLE: CancelRun = { kind: 'idle' };

describe('sendCancels', () => {
  it('sends one cancel per target device at the same time', async () => {
    const s = await setup();
    const replies: Deferred<SendResult>[] = [];
    for (const token of [PIXEL_TOKEN, TABLET_TOKEN, IPHONE_TOKEN]) {
      const reply = deferred<SendResult>();
      replies.push(reply);
      s.fcm.script(token, reply);
    }
    const run = sendCancels(TENANT, s.call.callUuid, s.deps);
    await settle();
    assert.deepEqual(
      s.fcm.sent.map((p) => p.push.token).sort(),
      [IPHONE_TOKEN, PIXEL_TOKEN, TABLET_TOKEN],
      'every send starts before any answers',
    );
    for (const reply of replies) reply.resolve(ACCEPTED);
    assert.deepEqual(await run, { kind: 'sent', sent: 3 });
    assert.equal(s.fcm.sent.length, 3);
    assert.equal(s.apns.sent.length, 0, 'a cancel never goes to APNs directly');
  });

  it('sends each device its rendered cancel with the call as meta and the budget as deadline', async () => {
    const s = await setup();
    await sendCancels(TENANT, s.call.callUuid, s.deps);
    const deadline = s.clock.now() + 10_000;
    for (const [deviceId, token] of [
      ['a-pixel', PIXEL_TOKEN],
      ['b-tablet', TABLET_TOKEN],
      ['c-iphone', IPHONE_TOKEN],
    ] as const) {
      const [sent, ...more] = s.fcm.sentTo(token);
      assert.ok(sent, deviceId);
      assert.equal(more.length, 0, deviceId);
      assert.equal(sent.deadline, deadline);
      assert.deepEqual(sent.meta, {
        tenant: TENANT,
        callId: s.call.callId,
        callUuid: s.call.callUuid,
        deviceId,
      });
      const message = (sent.push.body as { message: { data: Record<string, string> } }).message;
      assert.equal(message.data.type, 'call_cancelled');
      assert.equal(message.data.reason, 'answered_elsewhere');
      assert.equal(message.data.call_uuid, s.call.callUuid);
    }
  });

  it("records each push's outcome and marks the job sent", async () => {
    const s = await setup();
    const before = s.clock.now();
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(3));
    const call = await stored(s);
    const at = s.clock.now();
    const accepted = {
      status: 'accepted',
      attempts: 1,
      providerStatus: 200,
      pushedAt: at,
      settledAt: at,
    };
    assert.deepEqual(call.cancels, {
      'a-pixel': accepted,
      'b-tablet': accepted,
      'c-iphone': accepted,
    });
    const { holder, leaseUntil, sentAt, takenAt, ...job } = call.cancel!;
    assert.equal(takenAt, before);
    assert.match(holder ?? '', /^[0-9a-z]+-[0-9a-z]+$/, 'the run that took it is named');
    assert.deepEqual(job, {
      state: 'sent',
      reason: 'answered_elsewhere',
      targets: ['a-pixel', 'b-tablet', 'c-iphone', 'd-voip-only', 'e-deleted'],
    });
    assert.ok(
      leaseUntil !== undefined && leaseUntil >= before + 60_000,
      `leaseUntil ${leaseUntil}`,
    );
    assert.ok(sentAt !== undefined && sentAt >= before, `sentAt ${sentAt}`);
    assert.equal(call.status, 'accepted', 'the call itself is left as it was');
  });

  it('skips devices deleted since and iOS devices with only a PushKit token', async () => {
    const s = await setup();
    await sendCancels(TENANT, s.call.callUuid, s.deps);
    assert.equal(s.fcm.sentTo(VOIP_TOKEN).length, 0);
    assert.equal(s.apns.sent.length, 0);
    const call = await stored(s);
    assert.deepEqual(Object.keys(call.cancels ?? {}).sort(), ['a-pixel', 'b-tablet', 'c-iphone']);
  });

  it('sends nothing when run a second time', async () => {
    const s = await setup();
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(3));
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), IDLE);
    assert.equal(s.fcm.sent.length, 3);
  });

  it('sends nothing from a second run while the first still holds the lease', async () => {
    const s = await setup();
    const reply = deferred<SendResult>();
    s.fcm.script(PIXEL_TOKEN, reply);
    const first = sendCancels(TENANT, s.call.callUuid, s.deps);
    await settle();
    assert.equal((await stored(s)).cancel?.state, 'sending');
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), {
      kind: 'busy',
      leaseUntil: s.clock.now() + 60_000,
    });
    assert.equal(s.fcm.sent.length, 3);
    reply.resolve(ACCEPTED);
    assert.deepEqual(await first, sentRun(3));
    assert.equal((await stored(s)).cancel?.state, 'sent');
  });

  it('takes over a job whose lease ran out, as its new holder', async () => {
    const s = await setup({
      state: 'sending',
      holder: 'dead',
      takenAt: NOW - 16_000,
      leaseUntil: NOW - 1_000,
    });
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(3));
    const job = (await stored(s)).cancel;
    assert.ok(job);
    assert.equal(job.state, 'sent');
    assert.notEqual(job.holder, 'dead');
    assert.equal(job.takenAt, s.clock.now());
  });

  it('leaves a job that is done, a call without one, and an unknown call', async () => {
    const sent = await setup({ state: 'sent' });
    assert.deepEqual(await sendCancels(TENANT, sent.call.callUuid, sent.deps), IDLE);
    assert.deepEqual(await sendCancels(TENANT, 'no-such-call', sent.deps), IDLE);
    assert.equal(sent.fcm.sent.length, 0);

    const calls = new FakeCallStore();
    const ringing = ringingCall();
    await calls.createOnce(ringing);
    assert.deepEqual(await sendCancels(TENANT, ringing.callUuid, { ...sent.deps, calls }), IDLE);
    assert.equal(sent.fcm.sent.length, 0);
    assert.equal((await calls.get(TENANT, ringing.callUuid))?.cancel, undefined);
  });

  it('drops a token the provider declared dead and records the push as dead_token', async () => {
    const s = await setup();
    const dead: SendResult = { kind: 'dead_token', status: 404, reason: 'UNREGISTERED' };
    s.fcm.script(PIXEL_TOKEN, dead).script(IPHONE_TOKEN, dead);
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(1));
    assert.deepEqual(
      [...s.devices.dropped].sort((a, b) => a.deviceId.localeCompare(b.deviceId)),
      [
        { tenant: TENANT, deviceId: 'a-pixel', token: PIXEL_TOKEN },
        { tenant: TENANT, deviceId: 'c-iphone', token: IPHONE_TOKEN },
      ],
    );
    assert.equal(s.devices.peek(TENANT, 'a-pixel'), undefined, 'no token left: deleted');
    const iphone = s.devices.peek(TENANT, 'c-iphone');
    assert.equal(iphone?.fcmToken, undefined);
    assert.equal(iphone?.voipToken, VOIP_TOKEN, 'its PushKit token stays');
    const call = await stored(s);
    assert.equal(call.cancels?.['a-pixel']?.status, 'dead_token');
    assert.equal(call.cancels['a-pixel'].reason, 'UNREGISTERED');
    assert.equal(call.cancels['b-tablet']?.status, 'accepted');
    assert.equal(call.cancel?.state, 'sent');
  });

  it('retries a temporary failure within the budget and records a lasting one', async () => {
    const s = await setup();
    s.fcm
      .script(
        PIXEL_TOKEN,
        { kind: 'failed', retryable: true, status: 503, reason: 'UNAVAILABLE' },
        ACCEPTED,
      )
      .script(TABLET_TOKEN, {
        kind: 'failed',
        retryable: false,
        status: 400,
        reason: 'INVALID_ARGUMENT',
      });
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(2));
    const call = await stored(s);
    assert.equal(call.cancels?.['a-pixel']?.status, 'accepted');
    assert.equal(call.cancels['a-pixel'].attempts, 2);
    assert.equal(call.cancels['b-tablet']?.status, 'failed');
    assert.equal(call.cancels['b-tablet'].reason, 'INVALID_ARGUMENT');
    assert.equal(s.devices.dropped.length, 0, 'a failure is not a dead token');
    assert.ok(s.devices.peek(TENANT, 'b-tablet'));
  });

  it('sends a round that reached no provider again, until the ring deadline', async () => {
    const s = await setup();
    const neverLeft: SendResult = { kind: 'failed', retryable: true, reason: 'access_token_error' };
    // Every attempt of the first round fails before a request leaves; the next round gets through.
    for (const token of [PIXEL_TOKEN, TABLET_TOKEN, IPHONE_TOKEN]) {
      s.fcm.script(token, neverLeft, neverLeft, neverLeft, neverLeft, neverLeft, ACCEPTED);
    }
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(0));
    const waiting = (await stored(s)).cancel;
    assert.equal(waiting?.state, 'pending', 'not closed as sent');
    assert.deepEqual(waiting.targets, ['a-pixel', 'b-tablet', 'c-iphone']);
    assert.ok(s.clock.now() < s.call.expiresAt);
    assert.deepEqual(await runCancelJob(TENANT, s.call.callUuid, s.deps, 20_000), sentRun(3));
    const call = await stored(s);
    assert.equal(call.cancel?.state, 'sent');
    assert.equal(call.cancels?.['a-pixel']?.status, 'accepted');
    assert.equal(s.fcm.sentTo(PIXEL_TOKEN).length, 6);
  });

  it('marks a job with no targets sent without pushing anything', async () => {
    const s = await setup({ targets: [] });
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(0));
    assert.equal(s.fcm.sent.length, 0);
    const call = await stored(s);
    assert.equal(call.cancel?.state, 'sent');
    assert.deepEqual(call.cancels, {});
  });
});

describe('runCancelJob (what a trigger delivery runs)', () => {
  it('takes over the job of a run that died holding it, once its lease lapses', async () => {
    // A run took the job and died: the job stays "sending" under its lease.
    const s = await setup({ state: 'sending', leaseUntil: NOW + 15_000 });
    const run = await runCancelJob(TENANT, s.call.callUuid, s.deps, 20_000);
    assert.deepEqual(run, sentRun(3));
    assert.ok(s.clock.now() > NOW + 15_000, 'not before the lease lapsed');
    assert.equal((await stored(s)).cancel?.state, 'sent');
  });

  it('waits for a live run to finish, and then has nothing to send', async () => {
    const s = await setup();
    const reply = deferred<SendResult>();
    s.fcm.script(PIXEL_TOKEN, reply);
    const first = sendCancels(TENANT, s.call.callUuid, s.deps);
    await settle();
    const second = runCancelJob(TENANT, s.call.callUuid, s.deps, 20_000);
    await settle();
    reply.resolve(ACCEPTED);
    assert.deepEqual(await first, sentRun(3));
    assert.deepEqual(await second, IDLE);
    assert.equal(s.fcm.sent.length, 3);
    assert.ok(
      s.clock.now() < NOW + 1_000,
      'as soon as the job is done, not when its wait runs out',
    );
  });

  it('reports busy when the lease outlives its wait: the trigger throws and is redelivered', async () => {
    const s = await setup({ state: 'sending', leaseUntil: NOW + 15_000 });
    const run = await runCancelJob(TENANT, s.call.callUuid, s.deps, 1_000);
    assert.equal(run.kind, 'busy');
    assert.equal(s.fcm.sent.length, 0);
  });

  it('a dropToken that throws neither loses the other outcomes nor leaves the job unfinished', async () => {
    const s = await setup();
    s.fcm.script(PIXEL_TOKEN, { kind: 'dead_token', status: 404, reason: 'UNREGISTERED' });
    s.devices.dropToken = () => Promise.reject(new Error('store outage'));
    assert.deepEqual(await sendCancels(TENANT, s.call.callUuid, s.deps), sentRun(2));
    const call = await stored(s);
    assert.equal(call.cancel?.state, 'sent');
    assert.equal(call.cancels?.['a-pixel']?.status, 'dead_token');
    assert.equal(call.cancels['b-tablet']?.status, 'accepted');
  });
});
