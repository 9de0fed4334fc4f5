import assert from 'node:assert/strict';
import firebaseFunctionsTest from 'firebase-functions-test';
import { documentSnapshot } from '../support/documentSnapshot';
import { callUuid } from '../../functions/core/call/callUuid';
import { onAnswerWritten } from '../../functions/triggers/onAnswerWritten';
import { getServices } from '../../functions/wiring/services';
import { callPath, createTenant, db, PROJECT_ID, storedCall } from '../support/emulator';
import { firestoreJvm } from '../support/firestoreEmulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { SUITE_TIMEOUT_MS } from '../support/wait';

/** Pauses the emulated Firestore triggers: this test delivers the event itself. */
async function backgroundTriggers(step: 'disable' | 'enable'): Promise<void> {
  const hub = process.env.FIREBASE_EMULATOR_HUB;
  assert.ok(hub, 'FIREBASE_EMULATOR_HUB is set');
  const reply = await fetch(`http://${hub}/functions/${step}BackgroundTriggers`, { method: 'PUT' });
  assert.equal(reply.status, 200, await reply.text());
}

/**
 * The Functions emulator (firebase-tools 13) delivers each Firestore event once and never
 * retries a failed run, whatever the trigger's `retry` says. So this test plays Eventarc: it
 * delivers the answer's event to the trigger (firebase-functions-test, in this process,
 * against the same emulated Firestore) while the database does not answer, sees the run fail,
 * and delivers it again, as the deployed trigger's retry policy makes Eventarc do.
 */
describe('a trigger run that fails is retried (emulator, firebase-functions-test)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const fft = firebaseFunctionsTest({ projectId: PROJECT_ID });
  after(() => {
    fft.cleanup();
  });

  it('an onAnswerWritten that fails once (Firestore frozen) still settles the answer', async () => {
    process.env.GCLOUD_PROJECT = PROJECT_ID;
    const endpoint = (
      onAnswerWritten as unknown as { __endpoint: { eventTrigger: { retry: boolean } } }
    ).__endpoint;
    assert.equal(endpoint.eventTrigger.retry, true, 'deployed with retries');
    const tenant = await createTenant('outbox');
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    const id = callId();
    await api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } });
    const answerRef = db().doc(`${callPath(tenant.id, id)}/answers/pixel`);
    const { Timestamp } = await import('firebase-admin/firestore');
    // Warm this process's trigger stores: the first call of an instance gets a long budget.
    await (await getServices()).events.calls.get(tenant.id, callUuid(tenant.id, id));
    const deliver = async (): Promise<void> => {
      await fft.wrap(onAnswerWritten)({
        data: documentSnapshot(
          { action: 'accept', deviceId: 'pixel', uid: 'user-1', answeredAt: Timestamp.now() },
          answerRef.path,
        ),
        params: { tenant: tenant.id, callUuid: callUuid(tenant.id, id), deviceId: 'pixel' },
      });
    };

    await backgroundTriggers('disable');
    const { pid } = await firestoreJvm();
    try {
      await answerRef.set({
        action: 'accept',
        deviceId: 'pixel',
        uid: 'user-1',
        answeredAt: Timestamp.now(),
      });
      process.kill(pid, 'SIGSTOP');
      let failed: unknown;
      try {
        await deliver();
      } catch (err) {
        failed = err;
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.ok(failed, 'the run failed while Firestore did not answer');
      assert.equal((failed as { code?: string }).code, 'unavailable');

      // The redelivery: the answer wins (or finds it won by the first run's late commit).
      await deliver();
    } finally {
      await backgroundTriggers('enable');
    }
    assert.equal((await answerRef.get()).get('outcome'), 'won');
    const call = await storedCall(tenant.id, id);
    assert.equal(call.status, 'accepted');
    assert.equal(call.answeredBy, 'pixel');
  });
});
