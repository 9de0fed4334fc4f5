/**
 * The real-Asterisk end-to-end run, inside `firebase emulators:exec` (started
 * by scripts/e2e-asterisk.mjs): callwake on the emulators with the fake FCM and
 * APNs, Asterisk 22 with integrations/asterisk/extensions_callwake.conf as it
 * is in the repository, SIPp as the caller and as the phone, all on 127.0.0.1.
 * Prints one line per scenario with its figures, then one
 * `e2e-asterisk-results {...}` line for the runner.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { memberApp, registerAppDevice } from '../../support/app';
import { BASE_URL, createTenant, requireEmulators, ROOT } from '../../support/emulator';
import { api } from '../../support/http';
import { fcmToken } from '../../support/ids';
import { startProviders, stopProviders } from '../../support/providers';
import { eventually } from '../../support/wait';
import { Pbx } from './pbx';
import { stopAll, WORK } from './processes';
import { RecordingProxy } from '../recordingProxy';
import {
  answered,
  declined,
  hungUp,
  noAnswer,
  plainDial,
  registeredAndPushed,
  slowCallwake,
  type Figures,
} from './scenarios';
import { leaksIn, replayAll } from '../pbxSecrets';
import { checkRequests } from './wire';
import { DEVICE_ID, ms, percentile, PORTS, type World } from './world';

const INCLUDE =
  process.env.CALLWAKE_ASTERISK_INCLUDE ??
  join(ROOT, 'integrations', 'asterisk', 'extensions_callwake.conf');
const HANGUPS = Number(process.env.CALLWAKE_E2E_HANGUPS ?? 10);
// At least 5 of each, for a p50 and a p95 of accept -> 200 OK and decline -> 486.
const ANSWERS = 5;
const DECLINES = 5;
// The goal for hang-up -> the cancel push at the provider (p95).
const HANGUP_GOAL_MS = 300;
// The slow-callwake burst: its own extension (a desk phone the PBX registered), so its calls
// count against no other scenario's per-extension call rate.
const SLOW_EXT = '1003';
const SLOW_CALLS = 20;
const SLOW_DELAY_MS = 3_000;

const results: { name: string; ok: boolean; figures?: Figures; error?: string }[] = [];
const log = (...args: unknown[]) => {
  console.log('[e2e-asterisk]', ...args);
};

/** Runs one scenario; its figures are printed (and kept) even when it fails. */
async function test(name: string, body: (f: Figures) => Promise<void>): Promise<Figures> {
  const startedAt = Date.now();
  const figures: Figures = {};
  const shown = () =>
    Object.entries(figures)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
  try {
    await body(figures);
    results.push({ name, ok: true, figures });
    log(`ok   ${name} (${Date.now() - startedAt} ms): ${shown()}`);
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.push({ name, ok: false, figures, error });
    log(`FAIL ${name}: ${shown()}\n     ${error}`);
  }
  return figures;
}

/** A port nothing listens on: what an outage looks like to the PBX. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function scenarios(w: World): Promise<Record<string, unknown>> {
  const accepts: number[] = [];
  for (let round = 1; round <= ANSWERS; round += 1) {
    const name = `answered #${round}: push, the app accepts, the phone registers, the caller gets 200 OK`;
    const figures = await test(name, (f) => answered(w, f, round));
    if (figures.acceptTo200Ok !== undefined) accepts.push(figures.acceptTo200Ok);
  }
  const declines: number[] = [];
  for (let round = 1; round <= DECLINES; round += 1) {
    const name = `declined #${round}: the app declines, the caller gets 486 Busy Here`;
    const figures = await test(name, (f) => declined(w, f, round));
    if (figures.declineToBusy !== undefined) declines.push(figures.declineToBusy);
  }
  await test('a registered phone and a pushed phone ring together; the registered one answers; the pushed one gets answered_elsewhere', (f) =>
    registeredAndPushed(w, f));
  const hangups: number[] = [];
  const posts: number[] = [];
  for (let round = 1; round <= HANGUPS; round += 1) {
    const name = `caller hangs up while ringing #${round}`;
    const figures = await test(`${name}: cancel push, reason hangup`, (f) => hungUp(w, f, round));
    if (figures.hangupToCancelPush !== undefined) hangups.push(figures.hangupToCancelPush);
    if (figures.hangupToCancelPost !== undefined) posts.push(figures.hangupToCancelPost);
  }
  await test('nobody answers in 5 s: cancel push reason timeout, the caller gets 480', (f) =>
    noAnswer(w, f));
  await test('no devices: plain Dial reaches the registered phone', async (f) => {
    await plainDial(w, f, 'nodevices', '1002');
    const post = w.proxy.requests.filter((r) => r.url === '/v1/calls').at(-1);
    const to = new URLSearchParams(post?.body).get('to');
    if (to !== '1002' || post?.status !== 201) {
      throw new Error(`POST /v1/calls for ${String(to)} answered ${String(post?.status)}`);
    }
  });
  const desk = await api('PUT', `/v1/extensions/${SLOW_EXT}/devices/e2e-slow-desk`, {
    key: w.tenant.key,
    form: { platform: 'android', fcm_token: fcmToken() },
  });
  if (desk.status !== 200 && desk.status !== 201) throw new Error(`registering: ${desk.text}`);
  const slow =
    await test(`callwake answering ${SLOW_DELAY_MS} ms late, ${SLOW_CALLS} callers at once: each gets 100 Trying and its 180 one delay after its INVITE, none waits behind another; a REGISTER meanwhile is answered at once`, (f) =>
      slowCallwake(w, f, {
        ext: SLOW_EXT,
        calls: SLOW_CALLS,
        delayMs: SLOW_DELAY_MS,
        // CURLOPT(httptimeout) of the include's POST /v1/calls.
        includeTimeoutMs: 10_000,
      }));
  const refused = `http://127.0.0.1:${await closedPort()}`;
  await w.pbx.setGlobal('CALLWAKE_URL', refused);
  await test('callwake refusing connections: plain Dial reaches the phone', (f) =>
    plainDial(w, f, 'refused', '1001'));
  await w.pbx.setGlobal('CALLWAKE_URL', w.proxyUrl);
  w.proxy.unavailable = true;
  await test('callwake answering 503: plain Dial reaches the phone', async (f) => {
    const before = w.proxy.requests.length;
    await plainDial(w, f, 'unavailable', '1001');
    const seen = w.proxy.requests.slice(before).map((r) => `${r.method} ${r.url} ${r.status}`);
    if (seen.join() !== 'POST /v1/calls 503') throw new Error(`requests: ${seen.join('; ')}`);
  });
  w.proxy.unavailable = false;
  await test('every request signed in its body, the signature matching the request', () => {
    checkRequests(w);
    return Promise.resolve();
  });
  await test("Asterisk's log (verbose 5, debug 1) holds no key, secret or credential; no request it sent authenticates again", async () => {
    const logged = w.pbx.everythingLogged();
    const leaks = leaksIn(logged, { apiKey: w.tenant.key, signingSecret: w.tenant.signingSecret });
    if (leaks.length > 0) throw new Error(`found in the log: ${leaks.join('; ')}`);
    const steps = (logged.match(/Executing \[/g) ?? []).length;
    if (steps < 100) throw new Error(`only ${steps} dialplan steps logged: is verbose 5 on?`);
    const replays = await replayAll(w.proxy.requests, BASE_URL);
    if (replays.problems.length > 0) throw new Error(replays.problems.join('\n     '));
    log(
      `     ${logged.length} bytes of log, ${steps} dialplan steps: no key, secret or credential; ${replays.replayed} requests replayed and ${replays.moved} credentials moved to another request, all refused 401 (${replays.undelivered} never reached callwake)`,
    );
  });
  const summary = {
    answers: accepts.length,
    acceptTo200OkP50: percentile(accepts, 50),
    acceptTo200OkP95: percentile(accepts, 95),
    acceptTo200OkMax: percentile(accepts, 100),
    declines: declines.length,
    declineTo486P50: percentile(declines, 50),
    declineTo486P95: percentile(declines, 95),
    declineTo486Max: percentile(declines, 100),
    hangups: hangups.length,
    hangupToCancelPushP50: percentile(hangups, 50),
    hangupToCancelPushP95: percentile(hangups, 95),
    hangupToCancelPushMax: percentile(hangups, 100),
    hangupToCancelPostP95: percentile(posts, 95),
    slowCallwake: slow,
  };
  log(
    `accept -> 200 OK at the caller over ${accepts.length} calls: p50 ${ms(summary.acceptTo200OkP50)}, p95 ${ms(summary.acceptTo200OkP95)}, max ${ms(summary.acceptTo200OkMax)}`,
  );
  log(
    `decline -> 486 Busy Here at the caller over ${declines.length} calls: p50 ${ms(summary.declineTo486P50)}, p95 ${ms(summary.declineTo486P95)}, max ${ms(summary.declineTo486Max)}`,
  );
  log(
    `caller hang-up -> cancel push at the fake over ${hangups.length} hang-ups: p50 ${ms(summary.hangupToCancelPushP50)}, p95 ${ms(summary.hangupToCancelPushP95)}, max ${ms(summary.hangupToCancelPushMax)} (hang-up -> cancel POST at callwake p95 ${ms(summary.hangupToCancelPostP95)}); goal p95 <= ${HANGUP_GOAL_MS} ms: ${(summary.hangupToCancelPushP95 ?? Infinity) <= HANGUP_GOAL_MS ? 'met' : 'MISSED'}`,
  );
  log(
    `callwake ${SLOW_DELAY_MS} ms late, ${SLOW_CALLS} callers at once: ${String(slow.rang)} rang, ${String(slow.fellBack)} rung the classic way (callwake past the include's 10 s); INVITE -> 100 Trying p50 ${ms(slow.tryingP50)}, max ${ms(slow.tryingMax)}; INVITE -> 180 p50 ${ms(slow.inviteTo180P50)}, max ${ms(slow.inviteTo180Max)} (callwake's own time p50 ${ms(slow.callwakeOwnP50)}, max ${ms(slow.callwakeOwnMax)}); the last POST reached callwake ${ms(slow.lastPostAfterFirstInvite)} after the first INVITE; CANCEL -> 487 p50 ${ms(slow.cancelTo487P50)}, max ${ms(slow.cancelTo487Max)}; a REGISTER during the burst answered in ${ms(slow.registerDuringBurst)}`,
  );
  return summary;
}

async function main(): Promise<void> {
  const binary = process.env.CALLWAKE_ASTERISK_BINARY ?? 'asterisk';
  let proxy: RecordingProxy | undefined;
  let pbx: Pbx | undefined;
  let summary: Record<string, unknown> = {};
  try {
    requireEmulators();
    const providers = await startProviders();
    await eventually(
      async () => (await api('GET', '/v1/health').catch(() => ({ status: 0 }))).status === 200,
      'GET /v1/health',
      60_000,
    );
    const tenant = await createTenant('live');
    const app = await memberApp(tenant, '1001');
    const token = fcmToken();
    await registerAppDevice(app, DEVICE_ID, {
      extension: '1001',
      platform: 'android',
      fcm_token: token,
    });
    proxy = new RecordingProxy(new URL(BASE_URL));
    const proxyUrl = await proxy.start();
    log(`tenant ${tenant.id}; include ${INCLUDE}; callwake through ${proxyUrl}`);
    pbx = new Pbx({
      binary,
      dir: join(WORK, 'pbx'),
      include: INCLUDE,
      port: PORTS.asterisk,
      // The PBX gets the signing key id and the secret's file, never the API key.
      globals: {
        CALLWAKE_URL: proxyUrl,
        CALLWAKE_KEY_ID: tenant.signingKeyId,
        CALLWAKE_SECRET_FILE: join(WORK, 'pbx', 'callwake.secret'),
      },
      files: { 'callwake.secret': tenant.signingSecret },
    });
    const bootStarted = Date.now();
    await pbx.start();
    log(`Asterisk up on 127.0.0.1:${PORTS.asterisk} in ${Date.now() - bootStarted} ms`);
    // Every dialplan function the include calls: in every stock build, but a minimal build (as
    // this one is) may leave some out, and the include would then fail mid-call (an unsigned
    // request answers 401; a missing function ends the Gosub). Its apps are core or app_dial,
    // app_stack and app_verbose.
    const missing = await pbx.missingFunctions([
      'SHA1',
      'FILE',
      'RAND',
      'CURL',
      'CURLOPT',
      'URIENCODE',
      'HASH',
      'IF',
      'LEN',
      'STRREPLACE',
      'SHIFT',
      'CHANNEL',
      'MASTER_CHANNEL',
      'PJSIP_DIAL_CONTACTS',
    ]);
    if (missing.length > 0) {
      throw new Error(
        `this Asterisk lacks the dialplan functions ${missing.join(', ')} the include needs (../shared/asterisk/README.md, "Rebuilding it").`,
      );
    }
    const world: World = {
      pbx,
      proxy,
      proxyUrl,
      providers,
      tenant,
      app,
      token,
      calls: new Set(),
    };
    summary = await scenarios(world);
    await app.close();
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.push({ name: 'setup', ok: false, error });
    log(`FAIL setup\n     ${error}`);
  } finally {
    await pbx?.stop().catch(() => undefined);
    await stopAll();
    await proxy?.close();
    await stopProviders();
  }
  if (results.some((r) => !r.ok)) {
    log(`Asterisk log: ${join(WORK, 'pbx', 'run', 'log', 'messages.log')}; SIPp: ${WORK}/*.log`);
  }
  const passed = results.filter((r) => r.ok).length;
  const figures = Object.fromEntries(results.map((r) => [r.name, r.figures]));
  console.log(
    `e2e-asterisk-results ${JSON.stringify({ passed, failed: results.length - passed, summary, figures })}`,
  );
  process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
}

void main();
