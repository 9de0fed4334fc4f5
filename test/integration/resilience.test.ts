import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { callUuid } from '../../functions/core/callUuid';
import { createTenant, db } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';

/** The Firestore emulator's JVM, found by its command line. */
async function firestorePid(): Promise<number> {
  const { stdout } = await promisify(execFile)('pgrep', ['-f', 'firestore-emulator.*--port 8080']);
  const pid = Number(stdout.split('\n')[0]);
  assert.ok(pid > 0, 'the Firestore emulator process is running');
  return pid;
}

describe('backing-service faults (emulator)', function () {
  this.timeout(60_000);

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
    const pid = await firestorePid();
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
    assert.ok(elapsed < 2_000, `answered in ${elapsed} ms`);

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
});
