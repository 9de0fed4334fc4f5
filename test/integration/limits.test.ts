import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { FirestoreLongPolls } from '../../functions/store/longPolls';
import { memberApp, type TestApp } from '../support/app';
import { createTenant, db, type TestTenant } from '../support/emulator';
import { api, type Reply } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { retrying } from '../support/retry';
import { eventually } from '../support/wait';

/**
 * The tenant-wide limits, counted across the emulator's function workers (each concurrent
 * request is served by its own process, as by its own instance): their numbers come from the
 * tenant's document here, small enough to reach in a test. And contention: parallel requests on
 * one user or one extension get their answer or a 429, never a 503.
 */
describe('limits across instances, and contention (emulator)', function () {
  this.timeout(120_000);
  const apps: TestApp[] = [];
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  const ring = (tenant: TestTenant, to: string, id = callId(), timeout = '60') =>
    api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to, ring_timeout: timeout } });

  const count = (replies: Reply[]) => {
    const by = new Map<number, number>();
    for (const r of replies) by.set(r.status, (by.get(r.status) ?? 0) + 1);
    return Object.fromEntries(by);
  };

  async function withDevice(tenant: TestTenant, extension: string): Promise<void> {
    const reply = await api('PUT', `/v1/extensions/${extension}/devices/desk-${extension}`, {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(reply.status, 201, reply.text);
  }

  it('holds calls in flight per tenant, over all its extensions, and lets a PBX retry through', async () => {
    const tenant = await createTenant('outbox', { limits: { calls_in_flight: 3 } });
    for (const ext of ['101', '102', '103', '104']) await withDevice(tenant, ext);
    const first = callId();
    const replies = [await ring(tenant, '101', first)];
    for (const ext of ['102', '103', '104']) replies.push(await ring(tenant, ext));
    assert.deepEqual(
      replies.map((r) => r.status),
      [201, 201, 201, 429],
    );
    assert.equal(replies[3]!.fields.error, 'rate_limited');
    assert.equal(replies[3]!.fields.limit, 'calls_in_flight');
    assert.equal(replies[3]!.headers.get('retry-after'), '1');
    // A retry of a call already ringing is its own call back, not a 429.
    const retry = await ring(tenant, '101', first);
    assert.equal(retry.status, 200, retry.text);
    // One ends: there is room again.
    const cancel = await api('POST', `/v1/calls/${first}/cancel`, { key: tenant.key });
    assert.equal(cancel.status, 200);
    assert.equal((await ring(tenant, '104')).status, 201);
    // Another tenant is not held by this one's calls.
    const other = await createTenant('outbox', { limits: { calls_in_flight: 3 } });
    await withDevice(other, '101');
    assert.equal((await ring(other, '101')).status, 201);
  });

  it('holds new calls per second per tenant: no second holds more than its limit', async () => {
    const limit = 2;
    const tenant = await createTenant('outbox', { limits: { calls_per_second: limit } });
    const started = Date.now();
    const replies: Reply[] = [];
    for (let i = 0; i < 10; i += 1)
      replies.push(await ring(tenant, `2${String(i).padStart(2, '0')}`));
    const seconds = (Date.now() - started) / 1000;
    const by = count(replies);
    assert.equal((by[201] ?? 0) + (by[429] ?? 0), 10, JSON.stringify(by));
    for (const r of replies.filter((x) => x.status === 429)) {
      assert.equal(r.fields.limit, 'calls_per_second');
    }
    // Counted over the tenant's stored calls: in any second, at most `limit` were created.
    const created = (await db().collection(`tenants/${tenant.id}/calls`).get()).docs
      .map((d) => d.get('createdAt') as number)
      .sort((a, b) => a - b);
    assert.equal(created.length, by[201] ?? 0);
    for (const at of created) {
      const inSecond = created.filter((c) => c <= at && c >= at - 1_000).length;
      assert.ok(inSecond <= limit, `${inSecond} calls in the second before ${at}`);
    }
    // Ten calls came faster than two a second allow: some were refused.
    if (seconds < 10 / limit) assert.ok((by[429] ?? 0) > 0, JSON.stringify(by));
  });

  it('holds long-polls per tenant, and releases each when it answers', async () => {
    const tenant = await createTenant('outbox', { limits: { long_polls: 2 } });
    await withDevice(tenant, '301');
    const call = callId();
    assert.equal((await ring(tenant, '301', call)).status, 201);
    const poll = () => api('GET', `/v1/calls/${call}?wait=10`, { key: tenant.key });
    const held = [poll(), poll()];
    // Both are held (the emulator starts a worker for each): a third is refused meanwhile.
    const longPolls = db().collection(`tenants/${tenant.id}/longPolls`);
    await eventually(
      async () => (await longPolls.get()).size === 2,
      'the two long-polls to be held',
      30_000,
    );
    // They name their call: the answer trigger asks whether one watches it.
    const polls = new FirestoreLongPolls(db());
    const uuid = callUuid(tenant.id, call);
    assert.equal(await polls.watching(tenant.id, uuid, Date.now()), true);
    assert.equal(await polls.watching(tenant.id, callUuid(tenant.id, callId()), Date.now()), false);
    assert.equal(await polls.watching(tenant.id, uuid, Date.now() + 60_000), false, 'past both');
    // Only those held before an answer's creation, on the database's clock (createTime).
    const heldAt = (await longPolls.get()).docs.map((d) => d.createTime.toMillis());
    const [earliest = 0, latest = 0] = heldAt.sort((a, b) => a - b);
    assert.equal(await polls.watching(tenant.id, uuid, Date.now(), earliest), false, 'none before');
    assert.equal(await polls.watching(tenant.id, uuid, Date.now(), earliest + 1), true);
    assert.equal(await polls.watching(tenant.id, uuid, Date.now(), latest + 1), true);
    const third = await poll();
    assert.equal(third.status, 429, third.text);
    assert.equal(third.fields.limit, 'long_polls');
    const answered = await Promise.all(held);
    assert.deepEqual(
      answered.map((r) => r.status),
      [200, 200],
    );
    // Held no more (each took its record away as it answered): polling again is fine, and a
    // poll without wait never counts.
    assert.equal((await longPolls.get()).size, 0);
    // A hold's own time is its record's createTime: what the trigger compares (watching).
    const own = await polls.hold(tenant.id, uuid, 10, Date.now(), 5_000);
    assert.ok(own);
    const [record] = (await longPolls.get()).docs;
    assert.equal(own.heldAt, record?.createTime.toMillis());
    await own.end();
    assert.equal((await longPolls.get()).size, 0);
    assert.equal(await polls.watching(tenant.id, uuid, Date.now()), false);
    assert.equal((await api('GET', `/v1/calls/${call}`, { key: tenant.key })).status, 200);
    const cancel = await api('POST', `/v1/calls/${call}/cancel`, { key: tenant.key });
    assert.equal(cancel.status, 200);
    assert.equal((await poll()).status, 200, 'an ended call answers at once');
  });

  it('answers parallel registrations by one member with answers or 429s, never a 503; the PBX registers right after', async () => {
    const tenant = await createTenant('outbox');
    const app = await memberApp(tenant, '401');
    apps.push(app);
    const token = await app.idToken();
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_v, i) =>
        api('PUT', `/v1/app/devices/parallel-${i}`, {
          headers: { Authorization: `Bearer ${token}` },
          form: { extension: '401', platform: 'android', fcm_token: fcmToken() },
        }),
      ),
    );
    const by = count(replies);
    assert.ok(
      replies.every((r) => r.status === 201 || r.status === 429),
      `201 or 429 each: ${JSON.stringify(by)}`,
    );
    for (const r of replies.filter((x) => x.status === 429)) {
      assert.equal(r.fields.error, 'busy', r.text);
      assert.equal(r.headers.get('retry-after'), '1');
    }
    // A 429 answered at its budget leaves its transaction running (the deadline cancels nothing):
    // the PBX may meet it and be told busy, and does what the 429 says, retry in a second. It
    // must get in then, not be locked out by the member's burst. (A retry finds the desk phone
    // already there, 200, when a busy attempt's write landed after its answer.)
    const desk = { platform: 'android', fcm_token: fcmToken() };
    const { reply: pbx } = await retrying(
      () => api('PUT', '/v1/extensions/401/devices/desk', { key: tenant.key, form: desk }),
      (r) => r.status === 429 && r.fields.error === 'busy',
      11,
    );
    assert.ok(pbx.status === 201 || pbx.status === 200, pbx.text);
    console.log(`      6 parallel registrations by one member: ${JSON.stringify(by)}`);
  });

  it("counts app users' and the PBX's devices per extension apart", async () => {
    const tenant = await createTenant('outbox', {
      limits: { app_devices_per_extension: 2, pbx_devices_per_extension: 1, devices_per_user: 5 },
    });
    const [alice, bob] = await Promise.all([memberApp(tenant, '501'), memberApp(tenant, '501')]);
    apps.push(alice, bob);
    const register = async (app: TestApp, id: string) =>
      api('PUT', `/v1/app/devices/${id}`, {
        headers: { Authorization: `Bearer ${await app.idToken()}` },
        form: { extension: '501', platform: 'android', fcm_token: fcmToken() },
      });
    assert.equal((await register(alice, 'alice-1')).status, 201);
    assert.equal((await register(bob, 'bob-1')).status, 201);
    const third = await register(bob, 'bob-2');
    assert.equal(third.status, 409, third.text);
    assert.equal(third.fields.limit, 'app_devices_per_extension');
    assert.equal((await register(bob, 'bob-1')).status, 200, 'a refresh always goes through');
    const desk = (id: string) =>
      api('PUT', `/v1/extensions/501/devices/${id}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: fcmToken() },
      });
    assert.equal((await desk('desk-1')).status, 201, "the PBX's budget is its own");
    const second = await desk('desk-2');
    assert.equal(second.status, 409);
    assert.equal(second.fields.limit, 'pbx_devices_per_extension');
    const gone = await api('DELETE', '/v1/app/devices/bob-1', {
      headers: { Authorization: `Bearer ${await bob.idToken()}` },
    });
    assert.equal(gone.status, 200);
    assert.equal((await register(bob, 'bob-2')).status, 201, 'room again');
  });
});
