/**
 * The world every test of the real-Asterisk run shares, started once before them all and stopped
 * after them all (hooks.ts): callwake on the emulators with the fake FCM and APNs, a tenant with
 * one member whose app registered a phone for 1001, the recording proxy in front of callwake,
 * and Asterisk 22 with integrations/asterisk/extensions_callwake.conf as it is in the repository.
 */
import { join } from 'node:path';
import { memberApp, registerAppDevice } from '../../support/app';
import { BASE_URL, createTenant, requireEmulators, ROOT } from '../../support/emulator';
import { api } from '../../support/http';
import { fcmToken } from '../../support/ids';
import { startProviders, stopProviders } from '../../support/providers';
import { eventually } from '../../support/wait';
import { RecordingProxy } from '../recordingProxy';
import { log } from './figures';
import { Pbx } from './pbx';
import { stopAll, WORK } from './processes';
import { DEVICE_ID, PORTS, type World } from './world';

const INCLUDE =
  process.env.CALLWAKE_ASTERISK_INCLUDE ??
  join(ROOT, 'integrations', 'asterisk', 'extensions_callwake.conf');

// Every dialplan function the include calls: in every stock build, but a minimal build (as this
// one is) may leave some out, and the include would then fail mid-call (an unsigned request
// answers 401; a missing function ends the Gosub). Its apps are core or app_dial, app_stack and
// app_verbose.
const INCLUDE_FUNCTIONS = [
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
];

let current: World | undefined;
let proxy: RecordingProxy | undefined;
let pbx: Pbx | undefined;

/** The world the tests run in; started by the root `before` hook. */
export function world(): World {
  if (!current) throw new Error('the Asterisk world is not set up (see its "before all" hook)');
  return current;
}

export async function startWorld(): Promise<void> {
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
    binary: process.env.CALLWAKE_ASTERISK_BINARY ?? 'asterisk',
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
  const missing = await pbx.missingFunctions(INCLUDE_FUNCTIONS);
  if (missing.length > 0) {
    throw new Error(
      `this Asterisk lacks the dialplan functions ${missing.join(', ')} the include needs (../shared/asterisk/README.md, "Rebuilding it").`,
    );
  }
  current = { pbx, proxy, proxyUrl, providers, tenant, app, token, calls: new Set() };
}

/** Ends everything the world started, whatever state it is in. */
export async function stopWorld(): Promise<void> {
  await current?.app.close().catch(() => undefined);
  await pbx?.stop().catch(() => undefined);
  await stopAll();
  await proxy?.close();
  await stopProviders();
  log(`Asterisk log: ${join(WORK, 'pbx', 'run', 'log', 'messages.log')}; SIPp: ${WORK}/*.log`);
}
