import assert from 'node:assert/strict';
import { callUuid } from '../../functions/core/call/callUuid';
import { createTenant, storedCall } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { fcmMessage, startProviders } from '../support/providers';
import { processesConnectedTo, processSending } from '../support/sockets';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';

const fcmPort = () => Number(new URL(process.env.CALLWAKE_FCM_ORIGIN ?? '').port);

describe('an instance that dies on the ring path (emulator, SIGKILL)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  it('the PBX retry rings every device after the worker serving POST /v1/calls was killed mid fan-out', async () => {
    const fakes = await startProviders();
    const tenant = await createTenant('live');
    const pixel = fcmToken();
    const tablet = fcmToken();
    for (const [device, token] of [
      ['pixel', pixel],
      ['tablet', tablet],
    ] as const) {
      const reply = await api('PUT', `/v1/extensions/1001/devices/${device}`, {
        key: tenant.key,
        form: { platform: 'android', fcm_token: token },
      });
      assert.equal(reply.status, 201, reply.text);
    }
    // The tablet's push hangs at FCM: the fan-out waits on it.
    fakes.fcm.script(tablet, ['hang']);
    // Earlier tests' keep-alive connections to the fake FCM close within seconds; after that,
    // the only process connected to it is the worker serving this call.
    await eventually(
      () => processesConnectedTo(fcmPort()).length === 0,
      'idle connections to the fake FCM to close',
      30_000,
    );
    const id = callId();
    const first = api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001' },
    }).then(
      (reply) => reply.status,
      () => 'connection lost',
    );
    await eventually(
      () => fakes.fcm.requestsFor(pixel).length === 1 && fakes.fcm.requestsFor(tablet).length === 1,
      'both pushes at the fake FCM',
    );
    // The worker serving this call holds the tablet's hanging request open. Another worker (an
    // earlier test's trigger) may be talking to the fake FCM too: find this one by its port.
    const clientPort = fakes.fcm.requestsFor(tablet)[0]?.clientPort;
    assert.ok(clientPort !== undefined, 'the fake FCM saw the hanging request come from a port');
    const worker = processSending(fcmPort(), clientPort);
    assert.ok(worker !== undefined, `the worker holding the tablet's push (port ${clientPort})`);
    process.kill(worker, 'SIGKILL');
    const lost = await first;
    assert.notEqual(lost, 201, 'the PBX never heard back from the dead worker');

    // The PBX retries: the retry waits out the dead request's fan-out lease, then pushes what
    // it never recorded: both devices, the tablet's now answered.
    const retry = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '1001' },
    });
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual([retry.fields.status, retry.fields.pushed], ['ringing', 2]);
    const uuid = callUuid(tenant.id, id);
    for (const token of [pixel, tablet]) {
      const pushes = fakes.fcm.requestsFor(token).map(fcmMessage);
      assert.equal(pushes.length, 2, 'one push from each request');
      for (const push of pushes) {
        assert.equal(push.data.type, 'incoming_call');
        assert.equal(push.data.call_uuid, uuid, 'the same call_uuid');
        assert.equal(push.android?.collapse_key, `call-${uuid}`, 'the same collapse key');
      }
    }
    const call = await storedCall(tenant.id, id);
    assert.equal(call.deliveries.pixel?.status, 'accepted');
    assert.equal(call.deliveries.tablet?.status, 'accepted');
    assert.equal(call.pushed, 2);
  });
});
