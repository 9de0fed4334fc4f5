import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { cancelsDone, createTenant, db, tenantSnapshot } from '../support/emulator';
import { exportData, firestoreJvm, restartJvm, stopJvm } from '../support/firestoreEmulator';
import { memberApp, registerAppDevice } from '../support/app';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { cancelPushes, fcmMessage, startProviders } from '../support/providers';
import { SUITE_TIMEOUT_MS, eventually, settled } from '../support/wait';

/** Well under the function's 60 s timeout, well over the store deadline of a busy machine. */
const ANSWERED_BY_DEADLINE_MS = 15_000;

describe('backing-service faults (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  it('answers 503 within 2 s while Firestore does not answer, then works again with nothing half-done', async () => {
    const tenant = await createTenant('outbox');
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    // Warm the instance (its first database call gets a cold-start budget).
    for (let i = 0; i < 2; i += 1) {
      assert.equal(
        (
          await api('POST', '/v1/calls', {
            key: tenant.key,
            form: { call_id: callId(), to: '1001' },
          })
        ).status,
        201,
      );
    }
    const id = callId();
    const { pid } = await firestoreJvm();
    // A frozen database: connections stay open, nothing answers, as in a network partition.
    process.kill(pid, 'SIGSTOP');
    let reply;
    let elapsed;
    try {
      const started = Date.now();
      reply = await api('POST', '/v1/calls', {
        key: tenant.key,
        form: { call_id: id, to: '1001' },
      });
      elapsed = Date.now() - started;
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal(reply.status, 503, reply.text);
    assert.equal(reply.fields.error, 'unavailable');
    assert.equal(reply.headers.get('retry-after'), '1');
    // The store's deadline answered (1.2 s once warm, timed on a fake clock in the unit tests),
    // not the function's 60 s timeout; a busy machine only adds to it.
    assert.ok(elapsed < ANSWERED_BY_DEADLINE_MS, `answered in ${elapsed} ms`);

    // The PBX retries once the database is back: the call rings, exactly once.
    const retry = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001' },
    });
    assert.equal(retry.status, 201, retry.text);
    assert.deepEqual([retry.fields.status, retry.fields.pushed], ['ringing', 1]);
    const outbox = await db()
      .collection('pushOutbox')
      .where('callUuid', '==', callUuid(tenant.id, id))
      .get();
    assert.equal(outbox.size, 1);
  });
  it('answers a PBX cancel and an app ack with 503 within 2 s while Firestore does not answer', async () => {
    const tenant = await createTenant('outbox');
    const app = await memberApp(tenant, '1001');
    await registerAppDevice(app, 'phone', {
      extension: '1001',
      platform: 'android',
      fcm_token: fcmToken(),
    });
    const id = callId();
    // Warm the instance: its first database call gets a cold-start budget.
    for (const call of [callId(), id]) {
      const reply = await api('POST', '/v1/calls', {
        key: tenant.key,
        form: { call_id: call, to: '1001' },
      });
      assert.equal(reply.status, 201, reply.text);
    }
    const bearer = { Authorization: `Bearer ${await app.idToken()}` };
    const ack = await api('POST', `/v1/app/calls/${id}/ack`, {
      headers: bearer,
      form: { device_id: 'phone', tenant: tenant.id },
    });
    assert.equal(ack.status, 200, ack.text);
    const { pid } = await firestoreJvm();
    const replies: { what: string; reply: Awaited<ReturnType<typeof api>>; ms: number }[] = [];
    process.kill(pid, 'SIGSTOP');
    try {
      // One after the other: a concurrent request would start a second (cold) emulator worker.
      for (const [what, send] of [
        ['cancel', () => api('POST', `/v1/calls/${id}/cancel`, { key: tenant.key, form: {} })],
        [
          'ack',
          () =>
            api('POST', `/v1/app/calls/${id}/ack`, {
              headers: bearer,
              form: { device_id: 'phone', tenant: tenant.id },
            }),
        ],
      ] as const) {
        const started = Date.now();
        const reply = await send();
        replies.push({ what, reply, ms: Date.now() - started });
      }
    } finally {
      process.kill(pid, 'SIGCONT');
      await app.close();
    }
    for (const { what, reply, ms } of replies) {
      assert.equal(reply.status, 503, `${what}: ${reply.text}`);
      assert.equal(reply.fields.error, 'unavailable');
      assert.ok(ms < ANSWERED_BY_DEADLINE_MS, `${what} answered in ${ms} ms`);
    }
    // The cancel may have landed after its deadline; the PBX's retries (the thawed database
    // first works off what queued up) say where the call is.
    const retry = await eventually(
      async () => {
        const reply = await api('POST', `/v1/calls/${id}/cancel`, { key: tenant.key, form: {} });
        return reply.status === 200 && reply;
      },
      'a retried cancel to be answered',
      20_000,
    );
    assert.equal(retry.fields.status, 'cancelled');
  });

  it('answers 503 within 2 s while Firestore is stopped; after a restart nothing is lost or half-done and calls ring and cancel', async function () {
    this.timeout(SUITE_TIMEOUT_MS);
    const fakes = await startProviders();
    const tenant = await createTenant();
    const pixel = fcmToken();
    const tablet = fcmToken();
    for (const [device, token] of [
      ['pixel', pixel],
      ['tablet', tablet],
    ] as const) {
      await api('PUT', `/v1/extensions/1001/devices/${device}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: token },
      });
    }
    const earlier = callId();
    for (const id of [callId(), earlier]) {
      const warm = await api('POST', '/v1/calls', {
        key: tenant.key,
        form: { call_id: id, to: '1001' },
      });
      assert.equal(warm.status, 201, warm.text);
      // Ended now, so that their ring deadline cannot change them while the database is down.
      const ended = await api('POST', `/v1/calls/${id}/cancel`, { key: tenant.key, form: {} });
      assert.equal(ended.status, 200, ended.text);
    }
    const before = await settled(
      () => tenantSnapshot(tenant.id),
      'the warm calls',
      () => cancelsDone(tenant.id),
    );

    const jvm = await firestoreJvm();
    const seed = await exportData();
    const id = callId();
    const replies: { reply: Awaited<ReturnType<typeof api>>; ms: number }[] = [];
    await stopJvm(jvm);
    try {
      // Refused connections this time: the PBX learns within 2 s, for a new call and for a poll.
      // One after the other: the Functions emulator would start a second worker process for a
      // concurrent request, and that start-up is the emulator's, not the function's.
      for (const send of [
        () => api('POST', '/v1/calls', { key: tenant.key, form: { call_id: id, to: '1001' } }),
        () => api('GET', `/v1/calls/${earlier}`, { key: tenant.key }),
      ]) {
        const started = Date.now();
        const reply = await send();
        replies.push({ reply, ms: Date.now() - started });
      }
    } finally {
      await restartJvm(jvm, seed);
    }
    for (const { reply, ms } of replies) {
      assert.equal(reply.status, 503, reply.text);
      assert.equal(reply.fields.error, 'unavailable');
      assert.ok(ms < ANSWERED_BY_DEADLINE_MS, `answered in ${ms} ms`);
    }

    // The devices and calls are as they were; the refused call left nothing behind.
    // (An export and import keeps fields, not their order.)
    assert.deepEqual(JSON.parse(await tenantSnapshot(tenant.id)), JSON.parse(before));
    assert.equal(
      fakes.fcm.requestsFor(pixel).filter((r) => fcmMessage(r).data.call_id === id).length,
      0,
    );

    // The PBX's retry rings both devices once; its cancel reaches them through the trigger.
    const retry = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001' },
    });
    assert.equal(retry.status, 201, retry.text);
    assert.deepEqual([retry.fields.status, retry.fields.pushed], ['ringing', 2]);
    const cancel = await api('POST', `/v1/calls/${id}/cancel`, { key: tenant.key, form: {} });
    assert.equal(cancel.status, 200, cancel.text);
    for (const token of [pixel, tablet]) {
      const rings = fakes.fcm.requestsFor(token).filter((r) => fcmMessage(r).data.call_id === id);
      assert.equal(rings.filter((r) => fcmMessage(r).data.type === 'incoming_call').length, 1);
      await eventually(
        () => cancelPushes(fakes.fcm, token).some((r) => fcmMessage(r).data.call_id === id),
        'the cancel push after the restart',
        20_000,
      );
    }
  });
});
