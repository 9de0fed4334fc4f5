import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Timestamp } from 'firebase-admin/firestore';
import { callUuid } from '../../functions/core/callUuid';
import { curlCalls, curlOptions, expand } from '../support/dialplan';
import { BASE_URL, createTenant, db, ROOT, type TestTenant } from '../support/emulator';
import { api, curlUrl, parseHashcompat } from '../support/http';
import { callId, fcmToken } from '../support/ids';

const FILE = join(ROOT, 'integrations', 'asterisk', 'extensions_callwake.conf');

/**
 * Asterisk cannot run here, so this replays the include's HTTP side: every
 * CURL() in the file, with its own URL, form fields and CURLOPT() settings,
 * sent by the curl command line, answers parsed the way hashcompat does.
 */
describe('Asterisk dialplan include, replayed with curl (emulator)', function () {
  this.timeout(60_000);
  let tenant: TestTenant;
  const calls = curlCalls(FILE);
  const byWhere = (where: string) => {
    const call = calls.find((c) => c.where === where);
    assert.ok(call, `the include has a CURL() in ${where}`);
    return call;
  };

  before(async () => {
    tenant = await createTenant('outbox');
    const reply = await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(reply.status, 201);
  });

  it('makes exactly the requests replayed below', () => {
    assert.deepEqual(
      calls.map((c) => [c.where, c.data === undefined ? 'GET' : 'POST']),
      [
        ['callwake', 'POST'],
        ['callwake(poll)', 'GET'],
        ['callwake(timeout)', 'POST'],
        ['callwake-hangup', 'POST'],
      ],
    );
  });

  for (const mode of ['httpheader', 'userpwd'] as const) {
    describe(`with the key by CURLOPT(${mode})`, () => {
      const vars = (uniqueId: string): Record<string, string> => ({
        CALLWAKE_URL: BASE_URL,
        CALLWAKE_KEY: tenant.key,
        UNIQUEID: uniqueId,
        CALLWAKE_CALL: uniqueId,
        ext: '1001',
        ring: '30',
        wait: '3',
        'CALLERID(num)': '+15551234',
        'CALLERID(name)': 'Anne & Bob Smith',
      });

      /** curl arguments for the CURLOPT() settings the include makes before a request. */
      function options(v: Record<string, string>, httptimeout: string): string[] {
        const auth = Object.fromEntries(curlOptions(FILE, 'callwake-auth'));
        const timeouts = Object.fromEntries(curlOptions(FILE, 'callwake'));
        const args = ['--connect-timeout', timeouts.conntimeout!, '--max-time', httptimeout];
        if (mode === 'httpheader') {
          // Setting httpheader replaces Asterisk's default headers: send no Content-Type at all.
          return [...args, '-H', expand(auth.httpheader!, v), '-H', 'Content-Type:'];
        }
        assert.equal(auth.httpauth, 'basic');
        return [...args, '--basic', '-u', expand(auth.userpwd!, v)];
      }

      async function replay(where: string, v: Record<string, string>, httptimeout = '30') {
        const call = byWhere(where);
        const data = call.data === undefined ? [] : ['--data-binary', expand(call.data, v)];
        const reply = await curlUrl(expand(call.url, v), [...options(v, httptimeout), ...data]);
        return { status: reply.status, hash: parseHashcompat(reply.text) };
      }

      it('posts the call, long-polls, and learns the accept', async () => {
        const id = callId();
        const v = vars(id);
        const posted = await replay('callwake', v);
        assert.equal(posted.status, 201);
        assert.equal(posted.hash.status, 'ringing');
        assert.equal(posted.hash.call_uuid, callUuid(tenant.id, id));
        const stored = (
          await db().doc(`tenants/${tenant.id}/calls/${posted.hash.call_uuid}`).get()
        ).data()!;
        assert.equal(stored.from, '+15551234');
        assert.equal(stored.fromName, 'Anne & Bob Smith');

        const started = Date.now();
        const still = await replay('callwake(poll)', v);
        assert.equal(still.hash.status, 'ringing');
        assert.ok(Date.now() - started >= 2_500, 'held for wait= seconds');

        const polled = replay('callwake(poll)', v);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await db()
          .doc(`tenants/${tenant.id}/calls/${posted.hash.call_uuid}/answers/pixel`)
          .set({ action: 'accept', deviceId: 'pixel', uid: 'user-1', answeredAt: Timestamp.now() });
        const answered = await polled;
        assert.deepEqual([answered.hash.status, answered.hash.answered_by], ['accepted', 'pixel']);
      });

      it('cancels with reason timeout, and with reason hangup from the hangup handler', async () => {
        for (const [where, reason] of [
          ['callwake(timeout)', 'timeout'],
          ['callwake-hangup', 'hangup'],
        ] as const) {
          const v = vars(callId());
          assert.equal((await replay('callwake', v)).hash.status, 'ringing');
          const cancelled = await replay(where, v, '5');
          assert.equal(cancelled.status, 200);
          assert.equal(cancelled.hash.status, 'cancelled');
          const uuid = callUuid(tenant.id, v.UNIQUEID!);
          const call = (await db().doc(`tenants/${tenant.id}/calls/${uuid}`).get()).data()!;
          assert.equal(call.endReason, reason);
        }
      });

      it('sends the dialplan straight to Dial on no_devices', async () => {
        const v = { ...vars(callId()), ext: '9999' };
        const posted = await replay('callwake', v);
        assert.equal(posted.hash.status, 'no_devices');
      });
    });
  }

  it('falls back fast when callwake is unreachable (conntimeout)', async () => {
    const call = byWhere('callwake');
    const started = Date.now();
    const conntimeout = Object.fromEntries(curlOptions(FILE, 'callwake')).conntimeout!;
    const run = promisify(execFile)('curl', [
      '-sS',
      '--connect-timeout',
      conntimeout,
      '--data-binary',
      'call_id=1&to=1001',
      // A closed port on this machine: what an outage looks like to the PBX.
      expand(call.url, { CALLWAKE_URL: 'http://127.0.0.1:9' }),
    ]);
    await assert.rejects(run);
    assert.ok(Date.now() - started < Number(conntimeout) * 1000 + 500);
  });
});
