import assert from 'node:assert/strict';
import { answerWithSdk, memberApp, registerAppDevice, type TestApp } from '../support/app';
import { callPath, createTenant, db, storedCall, type TestTenant } from '../support/emulator';
import type { FcmRecordedRequest } from '../support/fakeFcm';
import { api, retrying503 } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';
import { cancelPushes, fcmMessage, startProviders, type Providers } from '../support/providers';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';

const dataOf = (r: FcmRecordedRequest) => fcmMessage(r).data;

describe('reliability: duplicates, races and provider faults (emulator, fake providers)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let fakes: Providers;
  let tenant: TestTenant;
  const apps: TestApp[] = [];

  before(async () => {
    fakes = await startProviders();
  });
  beforeEach(async () => {
    tenant = await createTenant('live');
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  async function memberWithDevice(deviceId: string, token: string): Promise<TestApp> {
    const app = await memberApp(tenant, '1001');
    apps.push(app);
    await registerAppDevice(app, deviceId, {
      extension: '1001',
      platform: 'android',
      fcm_token: token,
    });
    return app;
  }

  const answer = (app: TestApp, id: string, deviceId: string) =>
    answerWithSdk(app, callPath(tenant.id, id), deviceId);
  const stored = (id: string) => storedCall(tenant.id, id);

  it('makes one call and one push per device from 50 concurrent copies of one POST', async () => {
    const tokens = [fcmToken(), fcmToken(), fcmToken()];
    for (const [i, token] of tokens.entries()) {
      await api('PUT', `/v1/extensions/1001/devices/d${i}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: token },
      });
    }
    const id = callId();
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        retrying503(() =>
          api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } }),
        ),
      ),
    );
    // One request made the call (answered 503 instead if its create landed after its deadline,
    // on a busy machine); every other answer is the same call.
    const created = replies.filter((r) => r.status === 201).length;
    assert.ok(created === 1 || (created === 0 && replies.some((r) => r.retried)), `${created}`);
    assert.equal(
      replies.filter((r) => r.status === 200).length,
      50 - created,
      replies.map((r) => `${r.status} ${JSON.stringify(r.fields.error ?? '')}`).join(', '),
    );
    assert.equal(new Set(replies.map((r) => r.fields.call_uuid)).size, 1);
    // Incoming pushes only: on a loaded machine the 50 requests can outlast the ring time, and
    // the call's timeout cancel then reaches every phone too.
    for (const token of tokens) {
      const incoming = fakes.fcm
        .requestsFor(token)
        .filter((r) => fcmMessage(r).data.type === 'incoming_call');
      assert.equal(incoming.length, 1);
    }
  });

  it('lets exactly one of 10 devices accepting at once win', async () => {
    const devices = Array.from({ length: 10 }, (_v, i) => ({
      id: `phone-${i}`,
      token: fcmToken(),
    }));
    const members = [];
    for (const d of devices) members.push(await memberWithDevice(d.id, d.token));
    const id = callId();
    assert.equal(
      (await api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } }))
        .fields.pushed,
      10,
    );
    // As docs/app-integration.md tells apps: a write the rules refuse (the call stopped ringing
    // while the user pressed accept) is retried through HTTPS, which always names the outcome;
    // and as docs/api.md tells every client, a 429 busy is sent again.
    await Promise.all(
      members.map((app, i) =>
        answer(app, id, devices[i]!.id).catch(async (err: unknown) => {
          assert.equal((err as { code?: string }).code, 'permission-denied', String(err));
          const reply = await retrying503(async () =>
            api('POST', `/v1/app/calls/${id}/answer`, {
              headers: { Authorization: `Bearer ${await app.idToken()}` },
              form: { action: 'accept', device_id: devices[i]!.id },
            }),
          );
          assert.equal(reply.status, 200, reply.text);
        }),
      ),
    );
    const outcomes = await eventually(
      async () => {
        const snap = await db()
          .collection(`${callPath(tenant.id, id)}/answers`)
          .get();
        const all = snap.docs.map((d) => d.get('outcome') as string | undefined);
        return all.length === 10 && all.every(Boolean) && all;
      },
      'all ten answers settled',
      30_000,
    );
    assert.equal(outcomes.filter((o) => o === 'won').length, 1);
    const call = await stored(id);
    assert.equal(call.status, 'accepted');
    await eventually(
      async () => (await stored(id)).cancel?.state === 'sent',
      'cancels sent',
      30_000,
    );
    const losers = devices.filter((d) => d.id !== call.answeredBy);
    for (const d of losers) {
      const cancels = cancelPushes(fakes.fcm, d.token);
      assert.equal(cancels.length, 1, `${d.id} stops ringing once`);
    }
  });

  it('ends a cancel racing an accept in one state that the PBX, the document and the pushes agree on', async () => {
    const answerer = { id: 'answerer', token: fcmToken() };
    const bystander = { id: 'bystander', token: fcmToken() };
    const app = await memberWithDevice(answerer.id, answerer.token);
    await memberWithDevice(bystander.id, bystander.token);
    const id = callId();
    await api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } });
    // The rules refuse the app's write outright when the cancel committed first.
    const [cancel, written] = await Promise.all([
      api('POST', `/v1/calls/${id}/cancel`, { key: tenant.key, form: { reason: 'hangup' } }),
      answer(app, id, answerer.id).then(
        () => true,
        () => false,
      ),
    ]);
    const outcome = written
      ? await eventually(async () => {
          const snap = await db()
            .doc(`${callPath(tenant.id, id)}/answers/${answerer.id}`)
            .get();
          return snap.get('outcome') as string | undefined;
        }, 'the answer settled')
      : 'refused';
    await eventually(async () => (await stored(id)).cancel?.state === 'sent', 'cancels sent');
    const call = await stored(id);
    const pbx = await api('GET', `/v1/calls/${id}`, { key: tenant.key });
    assert.equal(pbx.fields.status, call.status);
    const bystanderCancels = cancelPushes(fakes.fcm, bystander.token);
    assert.equal(bystanderCancels.length, 1);
    if (call.status === 'accepted') {
      assert.equal(outcome, 'won');
      assert.equal(cancel.fields.cancelled, false);
      assert.equal(dataOf(bystanderCancels[0]!).reason, 'answered_elsewhere');
    } else {
      assert.equal(call.status, 'cancelled');
      assert.ok(outcome === 'late' || outcome === 'refused', outcome);
      assert.equal(cancel.fields.cancelled, true);
      assert.equal(dataOf(bystanderCancels[0]!).reason, 'hangup');
    }
  });

  it('renews the APNs provider token after ExpiredProviderToken and still rings in time', async () => {
    const token = voipToken();
    fakes.apns.production.script(token, ['expired_provider_token']);
    await api('PUT', '/v1/extensions/1001/devices/iphone', {
      key: tenant.key,
      form: { platform: 'ios', voip_token: token, app_id: 'com.example.sipPhone' },
    });
    const reply = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: callId(), to: '1001' },
    });
    assert.equal(reply.fields.pushed, 1, reply.text);
    const tries = fakes.apns.production.pushesFor(token);
    assert.equal(tries.length, 2);
    assert.equal(tries[0]!.status, 403);
    assert.equal(tries[1]!.freshJwtAfterExpiry, true);
    assert.notEqual(tries[0]!.jwt, tries[1]!.jwt);
  });
});
