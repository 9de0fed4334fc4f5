import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { createTenant, db, PROJECT_ID, storedCall, type TestTenant } from '../support/emulator';
import { api, retrying503 } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';
import { startProviders, type Providers } from '../support/providers';
import { SUITE_TIMEOUT_MS } from '../support/wait';
import { INCOMING_CALL_KEYS } from '../support/payloadKeys';

describe('ring path: incoming call to FCM and APNs (emulator, fake providers)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let tenant: TestTenant;
  let fakes: Providers;

  before(async () => {
    fakes = await startProviders();
  });
  beforeEach(async () => {
    tenant = await createTenant('live');
  });

  const register = (ext: string, id: string, form: Record<string, string>) =>
    api('PUT', `/v1/extensions/${ext}/devices/${id}`, { key: tenant.key, form }).then((r) => {
      assert.ok(r.status === 201 || r.status === 200, r.text);
      return r;
    });
  const ring = (form: Record<string, string>) =>
    api('POST', '/v1/calls', { key: tenant.key, form });
  const callDoc = (id: string) => storedCall(tenant.id, id);

  it('sends Android an FCM data-only, high-priority message with the ring time as TTL', async () => {
    const token = fcmToken();
    await register('1001', 'pixel', {
      platform: 'android',
      fcm_token: token,
      app_id: 'com.example.sip_phone',
    });
    const id = callId();
    const started = Date.now();
    const reply = await ring({
      call_id: id,
      to: '1001',
      from: '5551234',
      from_name: 'Alice',
      ring_timeout: '30',
    });
    assert.equal(reply.status, 201, reply.text);
    const uuid = callUuid(tenant.id, id);
    assert.deepEqual(reply.fields, {
      status: 'ringing',
      call_id: id,
      call_uuid: uuid,
      devices: 1,
      pushed: 1,
    });

    const [request, ...more] = fakes.fcm.requestsFor(token);
    assert.ok(request);
    assert.equal(more.length, 0);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/v1/projects/${PROJECT_ID}/messages:send`);
    assert.equal(request.headers.authorization, 'Bearer test-fcm-access-token');
    const { message } = request.body as { message: Record<string, unknown> };
    assert.deepEqual(Object.keys(message).sort(), ['android', 'data', 'token']);
    const data = message.data as Record<string, string>;
    const expiresAt = Number(data.expires_at);
    assert.ok(expiresAt >= started + 30_000 && expiresAt <= Date.now() + 30_000);
    assert.deepEqual(data, {
      type: 'incoming_call',
      call_id: id,
      call_uuid: uuid,
      caller_id: '5551234',
      caller_number: '5551234',
      caller_name: 'Alice',
      extension: '1001',
      sip_call_id: id,
      tenant: tenant.id,
      expires_at: String(expiresAt),
    });
    const android = message.android as { priority: string; ttl: string; collapse_key: string };
    assert.equal(android.priority, 'high');
    assert.equal(android.collapse_key, `call-${uuid}`);
    const ttl = Number(/^(\d+)s$/.exec(android.ttl)?.[1]);
    assert.ok(ttl >= 28 && ttl <= 30, android.ttl);

    const stored = await callDoc(id);
    assert.equal(stored.status, 'ringing');
    assert.equal(stored.pushed, 1);
    assert.equal(stored.deliveries.pixel!.status, 'accepted');
    assert.equal(stored.deliveries.pixel!.provider, 'fcm');
    assert.equal(stored.deliveries.pixel!.attempts, 1);
  });

  it('sends iOS a PushKit VoIP push straight to APNs, on the host of the token environment', async () => {
    const sandboxToken = voipToken();
    const productionToken = voipToken();
    fakes.apns.sandbox.register(sandboxToken);
    await register('1001', 'iphone-dev', {
      platform: 'ios',
      voip_token: sandboxToken,
      app_id: 'com.example.sipPhone',
      apns_env: 'sandbox',
    });
    await register('1001', 'iphone', {
      platform: 'ios',
      voip_token: productionToken,
      app_id: 'com.example.sipPhone',
    });
    const id = callId();
    const reply = await ring({ call_id: id, to: '1001', from: '+15550100', ring_timeout: '45' });
    assert.equal(reply.fields.pushed, 2, reply.text);

    assert.equal(fakes.apns.production.requestsFor(sandboxToken).length, 0);
    assert.equal(fakes.apns.sandbox.requestsFor(productionToken).length, 0);
    const [request] = fakes.apns.sandbox.pushesFor(sandboxToken);
    assert.ok(request);
    assert.equal(fakes.apns.production.pushesFor(productionToken).length, 1);
    const uuid = callUuid(tenant.id, id);
    assert.equal(request.path, `/3/device/${sandboxToken}`);
    assert.equal(request.headers['apns-push-type'], 'voip');
    assert.equal(request.headers['apns-topic'], 'com.example.sipPhone.voip');
    assert.equal(request.headers['apns-priority'], '10');
    assert.equal(request.headers['apns-collapse-id'], `call-${uuid}`);
    const { aps, ...body } = request.body as Record<string, string> & { aps: unknown };
    assert.equal(
      request.headers['apns-expiration'],
      String(Math.floor(Number(body.expires_at) / 1000)),
    );
    assert.deepEqual(Object.keys(body).sort(), INCOMING_CALL_KEYS);
    // The SIP Call-ID where Linphone's iOS library looks for it; the fake accepted the body.
    assert.deepEqual(aps, { 'call-id': id });
    assert.equal(request.status, 200);
    assert.equal(body.type, 'incoming_call');
    assert.equal(body.caller_name, '+15550100');
    assert.equal(body.call_uuid, uuid);
    assert.equal(request.jwtHeader?.alg, 'ES256');
    assert.equal(typeof request.jwtClaims?.iss, 'string');
  });

  it('sends an iOS app without PushKit an FCM message carrying an APNs alert', async () => {
    const token = fcmToken();
    await register('1001', 'ipad', { platform: 'ios', fcm_token: token });
    const reply = await ring({ call_id: callId(), to: '1001', from: '5551234', from_name: 'Bob' });
    assert.equal(reply.fields.pushed, 1, reply.text);
    const [request] = fakes.fcm.requestsFor(token);
    const { message } = request!.body as { message: Record<string, Record<string, unknown>> };
    assert.equal(message.android, undefined);
    assert.deepEqual(Object.keys(message.data!).sort(), INCOMING_CALL_KEYS);
    const apns = message.apns as {
      headers: Record<string, string>;
      payload: { aps: Record<string, unknown> };
    };
    assert.equal(apns.headers['apns-push-type'], 'alert');
    assert.equal(apns.headers['apns-priority'], '10');
    assert.deepEqual(apns.payload.aps.alert, { title: 'Incoming call', body: 'Bob is calling' });
  });

  it('pushes every device of the extension in parallel', async () => {
    const tokens = Array.from({ length: 5 }, fcmToken);
    const slow = voipToken();
    for (const [i, token] of tokens.entries()) {
      await register('1001', `phone-${i}`, { platform: 'android', fcm_token: token });
    }
    await register('1001', 'slow-iphone', {
      platform: 'ios',
      voip_token: slow,
      app_id: 'com.example.sipPhone',
    });
    // One device's provider never answers: a sequential fan-out would hold every later device behind it.
    fakes.apns.production.script(slow, ['hang']);
    const started = Date.now();
    const reply = await ring({ call_id: callId(), to: '1001', ring_timeout: '5' });
    const elapsed = Date.now() - started;
    assert.equal(reply.fields.devices, 6);
    assert.equal(reply.fields.pushed, 5, reply.text);
    const arrivals = [
      ...tokens.map((t) => fakes.fcm.requestsFor(t)[0]!.receivedAt),
      fakes.apns.production.pushesFor(slow)[0]!.receivedAt,
    ];
    const spread = Math.max(...arrivals) - Math.min(...arrivals);
    assert.ok(
      elapsed >= 4_000,
      `the hanging push held the request until the deadline (${elapsed} ms)`,
    );
    // Measured against the hang, not a clock budget: a busy machine slows both alike.
    assert.ok(spread < elapsed / 2, `all six pushes left together (spread ${spread} ms)`);
  });

  it('removes dead tokens at once and records each device outcome', async () => {
    const gone = fcmToken();
    const invalid = fcmToken();
    const unregistered = voipToken();
    const badToken = voipToken();
    const wrongTopic = voipToken();
    const alive = fcmToken();
    fakes.fcm.script(gone, ['unregistered']);
    fakes.fcm.script(invalid, ['invalid_token']);
    fakes.apns.production.script(unregistered, ['unregistered']);
    // Bad in both environments (a garbage token): only then is it dead.
    fakes.apns.production.script(badToken, ['bad_device_token']);
    fakes.apns.sandbox.script(badToken, ['bad_device_token']);
    fakes.apns.production.script(wrongTopic, ['not_for_topic']);
    const ios = (token: string) => ({
      platform: 'ios',
      voip_token: token,
      app_id: 'com.example.sipPhone',
    });
    await register('1001', 'gone', { platform: 'android', fcm_token: gone });
    await register('1001', 'invalid', { platform: 'android', fcm_token: invalid });
    await register('1001', 'unregistered', ios(unregistered));
    await register('1001', 'bad-token', ios(badToken));
    // This one keeps its FCM token when its VoIP token dies.
    await register('1001', 'wrong-topic', { ...ios(wrongTopic), fcm_token: fcmToken() });
    await register('1001', 'alive', { platform: 'android', fcm_token: alive });
    const id = callId();
    const reply = await ring({ call_id: id, to: '1001' });
    assert.equal(reply.fields.devices, 6);
    assert.equal(reply.fields.pushed, 1, reply.text);

    const devices = await db().collection(`tenants/${tenant.id}/devices`).get();
    const left = Object.fromEntries(devices.docs.map((d) => [d.id, d.data()]));
    assert.deepEqual(Object.keys(left).sort(), ['alive', 'wrong-topic']);
    assert.equal(left['wrong-topic']!.voipToken, undefined);
    assert.ok(left['wrong-topic']!.fcmToken);
    const { deliveries } = await callDoc(id);
    for (const device of ['gone', 'invalid', 'unregistered', 'bad-token', 'wrong-topic']) {
      assert.equal(deliveries[device]!.status, 'dead_token', device);
    }
    assert.equal(deliveries.unregistered!.providerStatus, 410);
    assert.equal(deliveries.alive!.status, 'accepted');
  });

  it('retries transient failures with backoff, honouring Retry-After', async () => {
    const android = fcmToken();
    const iphone = voipToken();
    fakes.fcm.script(android, [{ status: 503 }, { status: 429, retryAfter: 1 }]);
    fakes.apns.production.script(iphone, [{ status: 503 }, 'reset']);
    await register('1001', 'android', { platform: 'android', fcm_token: android });
    await register('1001', 'iphone', {
      platform: 'ios',
      voip_token: iphone,
      app_id: 'com.example.sipPhone',
    });
    const id = callId();
    const reply = await ring({ call_id: id, to: '1001' });
    assert.equal(reply.fields.pushed, 2, reply.text);
    const fcmTries = fakes.fcm.requestsFor(android);
    assert.equal(fcmTries.length, 3);
    assert.ok(fcmTries[2]!.receivedAt - fcmTries[1]!.receivedAt >= 1_000, 'waited for Retry-After');
    assert.equal(fakes.apns.production.pushesFor(iphone).length, 3);
    const { deliveries } = await callDoc(id);
    assert.equal(deliveries.android!.attempts, 3);
    assert.equal(deliveries.iphone!.attempts, 3);
  });

  it('never retries past the ring deadline', async () => {
    const token = fcmToken();
    fakes.fcm.script(
      token,
      Array.from({ length: 50 }, () => ({ status: 503 })),
    );
    await register('1001', 'flaky', { platform: 'android', fcm_token: token });
    const id = callId();
    const reply = await ring({ call_id: id, to: '1001', ring_timeout: '5' });
    assert.equal(reply.fields.pushed, 0, reply.text);
    const { deliveries, expiresAt } = await callDoc(id);
    const tries = fakes.fcm.requestsFor(token);
    assert.ok(tries.length >= 2, `retried (${tries.length} tries)`);
    assert.ok(tries.length <= 5, `bounded (${tries.length} tries)`);
    for (const t of tries) assert.ok(t.receivedAt < expiresAt, 'no attempt after the deadline');
    assert.equal(deliveries.flaky!.status, 'failed');
    assert.equal(deliveries.flaky!.providerStatus, 503);
    // The device is kept: a 503 says nothing about its token.
    assert.ok((await db().doc(`tenants/${tenant.id}/devices/flaky`).get()).exists);
  });

  it('answers no_devices for an extension whose phones are all gone', async () => {
    await register('4040', 'gone', { platform: 'android', fcm_token: fcmToken() });
    await api('DELETE', '/v1/extensions/4040/devices/gone', { key: tenant.key });
    const id = callId();
    const reply = await ring({ call_id: id, to: '4040' });
    assert.equal(reply.status, 201);
    assert.equal(reply.fields.status, 'no_devices');
    assert.equal(reply.fields.devices, 0);
    assert.equal((await callDoc(id)).status, 'no_devices');
  });

  it('answers unknown_extension for an extension that never had a device nor a member', async () => {
    const id = callId();
    const reply = await ring({ call_id: id, to: '4O40' });
    assert.equal(reply.status, 201);
    assert.equal(reply.fields.status, 'unknown_extension');
    assert.equal((await callDoc(id)).status, 'unknown_extension');
  });

  it('answers 409 to a call_id reused for another extension, and keeps the first call', async () => {
    await register('1001', 'pixel', { platform: 'android', fcm_token: fcmToken() });
    const id = callId();
    assert.equal((await ring({ call_id: id, to: '1001' })).status, 201);
    const reused = await ring({ call_id: id, to: '1002' });
    assert.equal(reused.status, 409);
    assert.equal(reused.fields.error, 'conflict');
    assert.match(String(reused.fields.message), /is already a call to extension 1001/);
    assert.equal((await callDoc(id)).extension, '1001');
  });

  it('treats a retried or concurrent duplicate as the same call and pushes nothing again', async () => {
    const token = fcmToken();
    await register('1001', 'pixel', { platform: 'android', fcm_token: token });
    const id = callId();
    const first = await ring({ call_id: id, to: '1001' });
    const retry = await ring({ call_id: id, to: '1001' });
    assert.equal(first.status, 201);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.fields, first.fields);
    assert.equal(fakes.fcm.requestsFor(token).length, 1);

    const burstId = callId();
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => retrying503(() => ring({ call_id: burstId, to: '1001' }))),
    );
    // One request made the call (answered 503 instead if its create landed after its deadline,
    // on a busy machine); every other answer is the same call.
    const created = replies.filter((r) => r.status === 201).length;
    const statuses = replies.map((r) => `${r.status}${r.retried ? ' (retried)' : ''}`).join(', ');
    assert.ok(created === 1 || (created === 0 && replies.some((r) => r.retried)), statuses);
    assert.equal(replies.filter((r) => r.status === 200).length, 20 - created, statuses);
    assert.equal(new Set(replies.map((r) => r.fields.call_uuid)).size, 1);
    // Ring pushes only: on a loaded machine the burst may outlast the ring time, and the call's
    // cancel push ("call_cancelled", at its deadline) then reaches the phone as it should.
    const pushes = fakes.fcm.requestsFor(token).filter((r) => {
      const { data } = (r.body as { message: { data: { call_id: string; type: string } } }).message;
      return data.call_id === burstId && data.type === 'incoming_call';
    });
    assert.equal(pushes.length, 1);
  });

  it('throttles an abusive rate of calls to one extension with 429, not its retries', async () => {
    // A tenant allowed more new calls a second than the extension's limit a minute, so the
    // extension's own limit is the one met (the tenant-wide one is tested in limits.test.ts).
    tenant = await createTenant('live', { limits: { calls_per_second: 100 } });
    const ids = Array.from({ length: 30 }, () => callId());
    for (const id of ids) {
      const reply = await ring({ call_id: id, to: '7007' });
      assert.equal(reply.status, 201, reply.text);
    }
    const throttled = await ring({ call_id: callId(), to: '7007' });
    assert.equal(throttled.status, 429, throttled.text);
    assert.equal(throttled.fields.error, 'rate_limited');
    assert.equal(throttled.fields.limit, 'calls_per_extension_per_minute');
    assert.equal(
      (await ring({ call_id: ids[0]!, to: '7007' })).status,
      200,
      'a retry still gets its call',
    );
    assert.equal(
      (await ring({ call_id: callId(), to: '7008' })).status,
      201,
      'other extensions ring',
    );
  });

  it('reports the call state to its own tenant only', async () => {
    const id = callId();
    await ring({ call_id: id, to: '1001' });
    const mine = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: tenant.key });
    assert.equal(mine.status, 200);
    assert.equal(mine.fields.status, 'unknown_extension');
    assert.equal(mine.fields.answered_by, undefined);
    const other = await createTenant('live');
    const theirs = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: other.key });
    assert.equal(theirs.status, 404);
    assert.equal(theirs.fields.error, 'not_found');
  });
});
