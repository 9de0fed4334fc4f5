import assert from 'node:assert/strict';
import { memberApp, registerAppDevice } from '../support/app';
import { callPath, createTenant, db, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { cancelPushes, fcmMessage, startProviders, type Providers } from '../support/providers';
import { eventually } from '../support/wait';

/**
 * A call ends at its deadline everywhere, on the same emulators as `npm start` (the deadline
 * task on the Cloud Tasks emulator; no scheduled job runs here): the status the API answers, the
 * long-poll, an answer's outcome and the stored document.
 */
describe('a call ends at its deadline (emulators)', function () {
  this.timeout(90_000);
  let fakes: Providers;
  let tenant: TestTenant;
  let token: string;

  before(async () => {
    fakes = await startProviders();
  });
  beforeEach(async () => {
    tenant = await createTenant('live');
    token = fcmToken();
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: token },
    });
  });

  const ring = async (id: string) => {
    const reply = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001', ring_timeout: '5' },
    });
    assert.equal(reply.fields.status, 'ringing', reply.text);
    return Date.parse(
      (await api('GET', `/v1/calls/${id}`, { key: tenant.key })).fields.expires_at as string,
    );
  };

  /** When the stored call document first said `missed`, watched with a listener. */
  const documentMissed = (id: string) =>
    new Promise<number>((resolve, reject) => {
      const stop = db()
        .doc(callPath(tenant.id, id))
        .onSnapshot((snap) => {
          if (snap.get('status') === 'missed') {
            stop();
            resolve(Date.now());
          }
        }, reject);
    });

  it('reports missed at 5 s through the long-poll, GET and the document (ring_timeout=5)', async () => {
    const id = callId();
    const expiresAt = await ring(id);
    const missed = documentMissed(id);
    const polled = await api('GET', `/v1/calls/${id}?wait=25`, { key: tenant.key });
    const pollReturned = Date.now();
    assert.equal(polled.fields.status, 'missed');
    assert.equal(polled.fields.end_reason, 'timeout');
    const got = await api('GET', `/v1/calls/${id}`, { key: tenant.key });
    assert.equal(got.fields.status, 'missed');
    const documentAt = await missed;
    console.log(
      `      deadline ${new Date(expiresAt).toISOString()}: long-poll returned ${pollReturned - expiresAt} ms after it, the document said missed ${documentAt - expiresAt} ms after it`,
    );
    assert.ok(pollReturned >= expiresAt, 'not before the deadline');
    assert.ok(pollReturned < expiresAt + 10_000, 'at the deadline, not at the end of wait=25');
    const [cancel] = await eventually(
      () => cancelPushes(fakes.fcm, token).length > 0 && cancelPushes(fakes.fcm, token),
      'the timeout cancel push',
    );
    assert.equal(fcmMessage(cancel!).data.reason, 'timeout');
  });

  it('writes missed into the document at the deadline with no request asking (the deadline task)', async () => {
    const id = callId();
    const expiresAt = await ring(id);
    const documentAt = await documentMissed(id);
    console.log(
      `      the deadline task wrote missed ${documentAt - expiresAt} ms after the deadline`,
    );
    assert.ok(documentAt >= expiresAt, 'not before the deadline');
    assert.ok(documentAt < expiresAt + 15_000, 'by the deadline task, not the minute job');
  });

  it('makes an answer after the deadline late, with the call missed', async () => {
    const app = await memberApp(tenant, '1002');
    await registerAppDevice(app, 'late-phone', {
      extension: '1002',
      platform: 'android',
      fcm_token: fcmToken(),
    });
    const id = callId();
    await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1002', ring_timeout: '5' },
    });
    await eventually(
      async () =>
        (await api('GET', `/v1/calls/${id}`, { key: tenant.key })).fields.status === 'missed',
      'the deadline',
      30_000,
    );
    const answer = await api('POST', `/v1/app/calls/${id}/answer`, {
      headers: { Authorization: `Bearer ${await app.idToken()}` },
      form: { device_id: 'late-phone', action: 'accept' },
    });
    assert.equal(answer.fields.outcome, 'late');
    assert.equal(answer.fields.status, 'missed');
    await app.close();
  });
});
