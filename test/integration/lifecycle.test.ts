import assert from 'node:assert/strict';
import { doc, onSnapshot, serverTimestamp, setDoc } from 'firebase/firestore';
import { callUuid } from '../../functions/core/call/callUuid';
import { answerWithSdk, memberApp, registerAppDevice, type TestApp } from '../support/app';
import { callPath, createTenant, db, storedCall, type TestTenant } from '../support/emulator';
import { withoutTriggers } from '../support/firestoreEmulator';
import { api } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';
import { cancelPushes, fcmMessage, startProviders, type Providers } from '../support/providers';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';

const messageOf = fcmMessage;

describe('call lifecycle: answer, cancel, long-poll (emulator, JS SDK as the app)', function () {
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

  /** A signed-in app user, made a member of `ext` by the PBX. */
  async function member(ext: string): Promise<TestApp> {
    const app = await memberApp(tenant, ext);
    apps.push(app);
    return app;
  }

  const ring = (id: string, extra: Record<string, string> = {}) =>
    api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001', from: '5551234', ...extra },
    });
  const stored = (id: string) => storedCall(tenant.id, id);
  const cancelsFor = (token: string) => cancelPushes(fakes.fcm, token);

  it('rings, is acknowledged and accepted through Firestore; the PBX long-poll learns it at once', async () => {
    const app = await member('1001');
    const android = fcmToken();
    const iphoneVoip = voipToken();
    const iphoneFcm = fcmToken();
    await registerAppDevice(app, 'pixel', {
      extension: '1001',
      platform: 'android',
      fcm_token: android,
    });
    await registerAppDevice(app, 'iphone', {
      extension: '1001',
      platform: 'ios',
      voip_token: iphoneVoip,
      fcm_token: iphoneFcm,
      app_id: 'com.example.sipPhone',
    });
    const id = callId();
    const rang = await ring(id);
    assert.equal(rang.fields.pushed, 2, rang.text);
    const incoming = messageOf(fakes.fcm.requestsFor(android)[0]!);
    assert.equal(incoming.data.type, 'incoming_call');
    assert.equal(fakes.apns.production.pushesFor(iphoneVoip).length, 1);

    // The woken app reads its call document (the rules allow members) and acknowledges the push.
    const uuid = incoming.data.call_uuid!;
    const seen: string[] = [];
    const unsubscribe = onSnapshot(doc(app.db, `tenants/${tenant.id}/calls/${uuid}`), (snap) => {
      seen.push(snap.get('status') as string);
    });
    await setDoc(doc(app.db, `tenants/${tenant.id}/calls/${uuid}/receipts/pixel`), {
      deviceId: 'pixel',
      uid: app.uid,
      receivedAt: serverTimestamp(),
    });
    await eventually(
      async () => (await stored(id)).deliveries.pixel?.deliveredAt,
      'the receipt on the timeline',
    );

    // The PBX long-polls while the user accepts: it hears `accepted`, which it could not have
    // by waiting out its 20 s (that answers `ringing`).
    const polled = api('GET', `/v1/calls/${id}?wait=20`, { key: tenant.key });
    await answerWithSdk(app, `tenants/${tenant.id}/calls/${uuid}`, 'pixel');
    const answer = await polled;
    assert.equal(answer.fields.status, 'accepted', answer.text);
    assert.equal(answer.fields.answered_by, 'pixel');

    // The other device stops ringing: a regular push through its FCM token, never a VoIP push.
    const [cancel] = await eventually(
      () => cancelsFor(iphoneFcm).length > 0 && cancelsFor(iphoneFcm),
      'the cancel push',
    );
    const message = messageOf(cancel!);
    assert.equal(message.data.reason, 'answered_elsewhere');
    assert.equal(message.data.call_uuid, uuid);
    assert.equal(message.apns?.headers['apns-push-type'], 'background');
    assert.equal(
      fakes.apns.production.pushesFor(iphoneVoip).length,
      1,
      'no VoIP push for the cancel',
    );
    assert.equal(cancelsFor(android).length, 0, 'the answering device gets no cancel');

    // The cancel reaches FCM before the trigger records its outcome on the call: wait for it.
    type Entry = Record<string, string | boolean | undefined>;
    const entries = await eventually(async () => {
      const timeline = await api('GET', `/v1/calls/${id}`, { key: tenant.key });
      const all = timeline.fields.timeline as Entry[];
      return all.find((e) => e.device_id === 'iphone')?.cancel_status !== undefined && all;
    }, 'the cancel outcome on the timeline');
    const pixel = entries.find((e) => e.device_id === 'pixel')!;
    assert.equal(pixel.push_status, 'accepted');
    assert.ok(
      pixel.pushed_at && pixel.provider_answered_at && pixel.delivered_at && pixel.answered_at,
    );
    assert.equal(pixel.answer, 'accept');
    const iphone = entries.find((e) => e.device_id === 'iphone')!;
    assert.equal(iphone.cancel_status, 'accepted');
    await eventually(() => seen.includes('accepted'), 'the app to see the call accepted');
    unsubscribe();
  });

  it('settles an answer written through Firestore in the waiting long-poll, with no trigger running', async () => {
    const app = await member('1001');
    await registerAppDevice(app, 'pixel', {
      extension: '1001',
      platform: 'android',
      fcm_token: fcmToken(),
    });
    const id = callId();
    const uuid = callUuid(tenant.id, id);
    assert.equal((await ring(id)).fields.pushed, 1);
    const answer = await withoutTriggers(async () => {
      const polled = api('GET', `/v1/calls/${id}?wait=20`, { key: tenant.key });
      await answerWithSdk(app, `tenants/${tenant.id}/calls/${uuid}`, 'pixel', 'decline');
      return polled;
    });
    assert.equal(answer.fields.status, 'declined', answer.text);
    const written = await db()
      .doc(`${callPath(tenant.id, id)}/answers/pixel`)
      .get();
    assert.equal(written.get('outcome'), 'won');
  });

  it('lets exactly one of several devices accepting at once win', async () => {
    const users = await Promise.all([
      member('1001'),
      member('1001'),
      member('1001'),
      member('1001'),
    ]);
    for (const [i, app] of users.entries()) {
      await registerAppDevice(app, `phone-${i}`, {
        extension: '1001',
        platform: 'android',
        fcm_token: fcmToken(),
      });
    }
    const id = callId();
    assert.equal((await ring(id)).fields.pushed, 4);
    const uuid = callUuid(tenant.id, id);
    await Promise.all(
      users.map((app, i) => answerWithSdk(app, `tenants/${tenant.id}/calls/${uuid}`, `phone-${i}`)),
    );
    const answers = await eventually(async () => {
      const snap = await db()
        .collection(`${callPath(tenant.id, id)}/answers`)
        .get();
      const outcomes = snap.docs.map((d) => d.get('outcome') as string | undefined);
      return outcomes.every(Boolean) && outcomes;
    }, 'every answer settled');
    assert.deepEqual([...answers].sort(), ['late', 'late', 'late', 'won']);
    const call = await stored(id);
    assert.equal(call.status, 'accepted');
    const winner = call.answeredBy!;
    assert.equal(call.deliveries[winner]!.late, undefined);
    const losers = Object.keys(call.deliveries).filter((d) => d !== winner);
    for (const loser of losers) assert.equal(call.deliveries[loser]!.late, true);
    await eventually(async () => (await stored(id)).cancel?.state === 'sent', 'the cancel pushes');
    assert.deepEqual(Object.keys((await stored(id)).cancels!).sort(), losers.sort());
  });

  it('ends the ringing everywhere when the caller hangs up', async () => {
    const app = await member('1001');
    const android = fcmToken();
    const ipad = fcmToken();
    await registerAppDevice(app, 'pixel', {
      extension: '1001',
      platform: 'android',
      fcm_token: android,
    });
    await registerAppDevice(app, 'ipad', { extension: '1001', platform: 'ios', fcm_token: ipad });
    const id = callId();
    await ring(id, { from_name: 'Carol' });
    const polled = api('GET', `/v1/calls/${id}?wait=15`, { key: tenant.key });
    const cancel = await api('POST', `/v1/calls/${id}/cancel`, {
      key: tenant.key,
      form: { reason: 'hangup' },
    });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.fields.status, 'cancelled');
    const again = await api('POST', `/v1/calls/${id}/cancel`, {
      key: tenant.key,
      form: { reason: 'hangup' },
    });
    assert.equal(again.fields.cancelled, false, 'idempotent');
    assert.equal((await polled).fields.status, 'cancelled');

    const [androidCancel] = await eventually(
      () => cancelsFor(android).length > 0 && cancelsFor(android),
      'android cancel',
    );
    const a = messageOf(androidCancel!);
    assert.equal(a.data.reason, 'hangup');
    assert.equal(a.android?.priority, 'high');
    assert.equal(Object.hasOwn(a, 'notification'), false, 'data-only');
    const [iosCancel] = await eventually(
      () => cancelsFor(ipad).length > 0 && cancelsFor(ipad),
      'ios cancel',
    );
    const i = messageOf(iosCancel!);
    assert.equal(i.apns?.headers['apns-push-type'], 'alert');
    assert.deepEqual(i.apns.payload.aps.alert, {
      title: 'Missed call',
      body: 'Missed call from Carol',
    });
  });

  it('declines for every device, as SIP 603 does', async () => {
    const app = await member('1001');
    const other = fcmToken();
    await registerAppDevice(app, 'pixel', {
      extension: '1001',
      platform: 'android',
      fcm_token: fcmToken(),
    });
    await registerAppDevice(app, 'tablet', {
      extension: '1001',
      platform: 'android',
      fcm_token: other,
    });
    const id = callId();
    await ring(id);
    const reply = await api('POST', `/v1/app/calls/${id}/answer`, {
      headers: { Authorization: `Bearer ${await app.idToken()}` },
      form: { action: 'decline', device_id: 'pixel' },
    });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual([reply.fields.outcome, reply.fields.status], ['won', 'declined']);
    const late = await api('POST', `/v1/app/calls/${id}/answer`, {
      headers: { Authorization: `Bearer ${await app.idToken()}` },
      form: { action: 'accept', device_id: 'tablet' },
    });
    assert.deepEqual([late.fields.outcome, late.fields.status], ['late', 'declined']);
    const [cancel] = await eventually(
      () => cancelsFor(other).length > 0 && cancelsFor(other),
      'the cancel',
    );
    assert.equal(messageOf(cancel!).data.reason, 'declined');
    const status = await api('GET', `/v1/calls/${id}?wait=5`, { key: tenant.key });
    assert.equal(status.fields.status, 'declined');
  });
});
