/**
 * One provider token per team across processes: separate instances, each with its own ApnsSender,
 * signing on their own, must present the same token (Apple refuses a team's tokens that churn).
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SendResult } from '../../functions/core/send/push';
import { MIN_UPDATE_INTERVAL_MS, TOKEN_WINDOW_MS } from '../../functions/push/apnsProviderToken';
import { ApnsWorld } from '../support/apnsWorld';
import { createTenant, localConfig } from '../support/emulator';
import { FakeApns, type ApnsRecordedRequest } from '../support/fakeApns';
import { api } from '../support/http';
import { callId, voipToken } from '../support/ids';
import { startProviders } from '../support/providers';
import { SUITE_TIMEOUT_MS, eventually } from '../support/wait';

const INSTANCE = join(__dirname, '..', 'support', 'apnsInstance.ts');
const PROCESSES = 8;
const PUSHES_EACH = 3;

interface InstanceReport {
  pid: number;
  results: SendResult[];
}

/** Starts one instance process; resolves once it is ready to send. */
function startInstance(config: Record<string, unknown>): Promise<ChildProcess> {
  const child = fork(INSTANCE, [], {
    execArgv: ['--require', 'tsx/cjs'],
    env: { ...process.env, CALLWAKE_TEST_APNS_INSTANCE: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new Error(`instance exited with ${String(code)} before it was ready`));
    });
    child.once('message', () => {
      child.removeAllListeners('exit');
      resolve(child);
    });
  });
}

function report(child: ChildProcess): Promise<InstanceReport> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => {
      resolve(message as InstanceReport);
    });
    child.once('exit', (code) => {
      reject(new Error(`instance exited with ${String(code)} without a report`));
    });
  });
}

const accepted = (requests: ApnsRecordedRequest[]) => requests.filter((r) => r.status === 200);
const tooMany = (requests: ApnsRecordedRequest[]) =>
  requests.filter((r) => r.reason === 'TooManyProviderTokenUpdates');

describe('APNs provider token across processes', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  });

  it('eight processes, each a separate instance, send VoIP pushes in the same window: the fake APNs sees one provider token for the team, and no TooManyProviderTokenUpdates', async () => {
    const secrets = localConfig();
    const [key, keyId, teamId] = [secrets.APNS_KEY!, secrets.APNS_KEY_ID!, secrets.APNS_TEAM_ID!];
    // Apple and the instances share a clock set ten minutes into a window, so the run can never
    // straddle a window's edge; each process still signs on its own.
    const windowStart = Math.floor(Date.now() / TOKEN_WINDOW_MS) * TOKEN_WINDOW_MS;
    const clockOffsetMs = windowStart + 10 * 60_000 - Date.now();
    const world = new ApnsWorld({ clock: () => Date.now() + clockOffsetMs });
    const apns = new FakeApns({ keyId, teamId, publicKey: key, world });
    const { origin, ca } = await apns.start();
    try {
      const tokens = Array.from({ length: PROCESSES }, () =>
        Array.from({ length: PUSHES_EACH }, voipToken),
      );
      const config = { key, keyId, teamId, origin, ca, clockOffsetMs };
      const ready = await Promise.all(tokens.map((t) => startInstance({ ...config, tokens: t })));
      children.push(...ready);
      const reports = ready.map(report);
      for (const child of ready) child.send('go');
      const results = await Promise.all(reports);

      assert.equal(new Set(results.map((r) => r.pid)).size, PROCESSES);
      for (const { results: sent } of results) {
        assert.deepEqual(
          sent.map((r) => r.kind),
          sent.map(() => 'accepted'),
        );
      }
      assert.equal(apns.requests.length, PROCESSES * PUSHES_EACH);
      // Eight connections, one per process, and one token on all of them.
      assert.equal(new Set(apns.requests.map((r) => r.connection)).size, PROCESSES);
      assert.equal(new Set(apns.requests.map((r) => r.jwt)).size, 1);
      assert.equal(world.updates(teamId).length, 1);
      assert.equal(world.refusedUpdates(teamId), 0);
      assert.equal(tooMany(apns.requests).length, 0);
    } finally {
      await apns.close();
    }
  });

  it('the emulator’s function workers, serving concurrent calls, make Apple take no more than one new provider token', async () => {
    const fakes = await startProviders();
    const apns = fakes.apns.production;
    const teamId = localConfig().APNS_TEAM_ID!;
    const tenant = await createTenant('live');
    const extensions = Array.from({ length: PROCESSES }, (_, i) => String(2001 + i));
    const tokens = extensions.map(() => voipToken());
    for (const [i, ext] of extensions.entries()) {
      const reply = await api('PUT', `/v1/extensions/${ext}/devices/iphone-${ext}`, {
        key: tenant.key,
        form: { platform: 'ios', voip_token: tokens[i]!, app_id: 'com.example.sipPhone' },
      });
      assert.ok(reply.status === 200 || reply.status === 201, reply.text);
    }
    const updatesBefore = apns.world.updates(teamId).length;
    const lastUpdateAt = apns.world.updates(teamId).at(-1)?.at;
    const refusedBefore = apns.world.refusedUpdates(teamId);
    const started = Date.now();
    const replies = await Promise.all(
      extensions.map((ext) =>
        api('POST', '/v1/calls', { key: tenant.key, form: { call_id: callId(), to: ext } }),
      ),
    );
    for (const reply of replies) assert.equal(reply.fields.pushed, 1, reply.text);
    await eventually(
      () => tokens.every((t) => accepted(apns.requestsFor(t)).length === 1),
      'one accepted push per device',
    );
    const ended = Date.now();

    const requests = tokens.flatMap((t) => apns.requestsFor(t));
    // Each worker process has its own connection: several workers served the burst.
    assert.ok(new Set(requests.map((r) => r.connection)).size >= 2, 'one worker served it all');
    // Apple took at most one token it had not seen (none when earlier tests already used this
    // window's), and refused none; workers that each signed their own would make one apiece.
    const newTokens = apns.world.updates(teamId).length - updatesBefore;
    const crossedWindow =
      Math.floor((started - 60_000) / TOKEN_WINDOW_MS) !==
      Math.floor((ended - 60_000) / TOKEN_WINDOW_MS);
    assert.ok(newTokens <= (crossedWindow ? 2 : 1), `${newTokens} new provider tokens`);
    // A quiet spell (apnsProviderToken.ts): this window's token is new to Apple, but Apple took
    // the previous window's, from earlier tests, less than 20 minutes ago. Then each worker is
    // refused once, signs nothing new and falls back to the token Apple already has.
    const quietSpell =
      lastUpdateAt !== undefined &&
      started - lastUpdateAt < MIN_UPDATE_INTERVAL_MS &&
      tooMany(requests).length > 0;
    if (quietSpell) {
      assert.equal(newTokens, 0, 'a refused token is not presented again');
      const workers = new Set(requests.map((r) => r.connection)).size;
      assert.ok(tooMany(requests).length <= workers, 'each worker is refused at most once');
    } else if (!crossedWindow) {
      assert.equal(tooMany(requests).length, 0);
      assert.equal(apns.world.refusedUpdates(teamId), refusedBefore);
    }
  });
});
