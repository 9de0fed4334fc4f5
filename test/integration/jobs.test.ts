import assert from 'node:assert/strict';
import firebaseFunctionsTest from 'firebase-functions-test';
import { documentSnapshot } from '../support/documentSnapshot';
import { callUuid } from '../../functions/core/call/callUuid';
import { expireCalls } from '../../functions/scheduled/expireCalls';
import { pruneStale } from '../../functions/scheduled/pruneStale';
import { onAnswerWritten } from '../../functions/triggers/onAnswerWritten';
import { onCallWritten } from '../../functions/triggers/onCallWritten';
import {
  callPath,
  createTenant,
  db,
  PROJECT_ID,
  storedCall,
  type TestTenant,
} from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { cancelPushes, fcmMessage, startProviders, type Providers } from '../support/providers';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';

/**
 * Scheduled functions and redelivered triggers, run in this process with
 * firebase-functions-test against the same emulated Firestore; the deployed
 * triggers on the emulator react to what they write.
 */
describe('scheduled jobs and trigger redelivery (emulator, firebase-functions-test)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const fft = firebaseFunctionsTest({ projectId: PROJECT_ID });
  let fakes: Providers;
  let tenant: TestTenant;

  const wasEmulator = process.env.FUNCTIONS_EMULATOR;
  before(async () => {
    process.env.GCLOUD_PROJECT = PROJECT_ID;
    // Run here as an instance of the emulator suite does: the expiry job's sweep sends cancel
    // pushes itself, and only on the emulator does FCM take the fake's fixed bearer token.
    process.env.FUNCTIONS_EMULATOR = 'true';
    fakes = await startProviders();
  });
  beforeEach(async () => {
    tenant = await createTenant('live');
  });
  after(() => {
    if (wasEmulator === undefined) delete process.env.FUNCTIONS_EMULATOR;
    else process.env.FUNCTIONS_EMULATOR = wasEmulator;
    fft.cleanup();
  });

  const withoutOutcome = ({ outcome: _settled, ...answer }: Record<string, unknown>) => answer;
  // A scheduled run as Cloud Scheduler starts it; .run() is the handler itself.
  const scheduled = () => ({ scheduleTime: new Date().toISOString(), jobName: 'test' });
  const callRef = (id: string) => db().doc(callPath(tenant.id, id));
  const stored = (id: string) => storedCall(tenant.id, id);
  const cancelsFor = (token: string) => cancelPushes(fakes.fcm, token);

  it('expires a call nobody answered: missed, and every device told with reason timeout', async () => {
    const token = fcmToken();
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: token },
    });
    const id = callId();
    await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001', ring_timeout: '5' },
    });
    await expireCalls.run(scheduled());
    assert.equal((await stored(id)).status, 'ringing', 'not before its deadline');

    const { expiresAt } = await stored(id);
    await eventually(() => Date.now() > expiresAt, 'the ring deadline');
    await expireCalls.run(scheduled());
    const call = await stored(id);
    assert.equal(call.status, 'missed');
    assert.equal(call.endReason, 'timeout');
    const [cancel] = await eventually(
      () => cancelsFor(token).length > 0 && cancelsFor(token),
      'the timeout cancel',
    );
    assert.equal(fcmMessage(cancel!).data.reason, 'timeout');
    const status = await api('GET', `/v1/calls/${id}?wait=5`, { key: tenant.key });
    assert.equal(status.fields.status, 'missed');
  });

  it('changes nothing when an answer or call trigger is delivered again', async () => {
    const winner = fcmToken();
    const other = fcmToken();
    for (const [device, token] of [
      ['pixel', winner],
      ['tablet', other],
    ] as const) {
      await api('PUT', `/v1/extensions/1001/devices/${device}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: token },
      });
    }
    const id = callId();
    await api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } });
    const answerRef = callRef(id).collection('answers').doc('pixel');
    const { Timestamp } = await import('firebase-admin/firestore');
    await answerRef.set({
      action: 'accept',
      deviceId: 'pixel',
      uid: 'user-1',
      answeredAt: Timestamp.now(),
    });
    await eventually(
      async () => (await stored(id)).cancel?.state === 'sent',
      'the first delivery to finish',
    );
    const before = JSON.stringify(await stored(id));
    const cancels = cancelsFor(other).length;
    assert.equal(cancels, 1);

    // The same events again, as Eventarc may redeliver them.
    const answerSnap = await answerRef.get();
    const pending = {
      ...(await stored(id)),
      cancel: { ...(await stored(id)).cancel!, state: 'pending' },
    };
    await fft.wrap(onAnswerWritten)({
      data: documentSnapshot(withoutOutcome(answerSnap.data()!), answerRef.path),
      params: { tenant: tenant.id, callUuid: callUuid(tenant.id, id), deviceId: 'pixel' },
    });
    await fft.wrap(onCallWritten)({
      data: fft.makeChange(
        documentSnapshot({}, callRef(id).path),
        documentSnapshot(pending, callRef(id).path),
      ),
      params: { tenant: tenant.id, callUuid: callUuid(tenant.id, id) },
    });
    assert.equal(JSON.stringify(await stored(id)), before, 'the call is unchanged');
    assert.equal(cancelsFor(other).length, cancels, 'no second cancel push');
    assert.equal(answerSnap.get('outcome'), 'won');
  });

  it('prunes devices not refreshed for STALE_DEVICE_DAYS and calls past CALL_RETENTION_DAYS', async () => {
    const devices = db().collection(`tenants/${tenant.id}/devices`);
    const day = 86_400_000;
    const base = { extension: '1001', platform: 'android', apnsEnv: 'production', createdAt: 0 };
    await devices
      .doc('stale')
      .set({ ...base, deviceId: 'stale', fcmToken: fcmToken(), lastSeenAt: Date.now() - 61 * day });
    await devices
      .doc('fresh')
      .set({ ...base, deviceId: 'fresh', fcmToken: fcmToken(), lastSeenAt: Date.now() - 59 * day });
    const calls = db().collection(`tenants/${tenant.id}/calls`);
    await calls
      .doc('old')
      .set({ tenant: tenant.id, status: 'missed', createdAt: Date.now() - 31 * day });
    await calls.doc('old').collection('answers').doc('pixel').set({ action: 'accept' });
    await calls
      .doc('recent')
      .set({ tenant: tenant.id, status: 'missed', createdAt: Date.now() - 29 * day });
    process.env.STALE_DEVICE_DAYS = '60';
    process.env.CALL_RETENTION_DAYS = '30';
    await pruneStale.run(scheduled());
    assert.deepEqual(
      (await devices.get()).docs.map((d) => d.id),
      ['fresh'],
    );
    assert.deepEqual(
      (await calls.get()).docs.map((d) => d.id),
      ['recent'],
    );
    assert.equal((await calls.doc('old').collection('answers').get()).size, 0, 'with its answers');
  });
});
