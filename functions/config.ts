import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineInt, defineSecret, defineString } from 'firebase-functions/params';
import type { SecretParam } from 'firebase-functions/params';

/**
 * Every setting in one place. Values are read at run time through the
 * functions below, never at import time; the one exception is which push
 * providers the deployment uses, which decides the secrets a function binds
 * when the CLI discovers it (see pushProvidersAtDeploy).
 */

/** The default tenant's PBX API key. */
export const PBX_API_KEY = defineSecret('PBX_API_KEY');
/** APNs token auth: the .p8 key (PEM). The only APNs value that is a secret. */
export const APNS_KEY = defineSecret('APNS_KEY');
/**
 * The .p8 key's id and the Apple team id: identifiers, not secrets (every APNs request carries
 * both in its provider token), so plain parameters.
 */
export const APNS_KEY_ID = defineString('APNS_KEY_ID', {
  default: '',
  description: 'Key ID of the APNs auth key (.p8), from the Apple Developer account (Keys)',
});
export const APNS_TEAM_ID = defineString('APNS_TEAM_ID', {
  default: '',
  description: 'Apple team ID (Membership details in the Apple Developer account)',
});

/** Where every function runs: the Firestore database's region, or the one nearest to it. */
export const REGION = defineString('REGION', {
  default: 'us-central1',
  description: 'Cloud Functions region, the same as (or inside) the Firestore database location',
});

/** API instances kept warm: 1 takes the cold start off the first call after a quiet spell. */
export const API_MIN_INSTANCES = defineInt('API_MIN_INSTANCES', {
  default: 0,
  description: 'Instances of the api function kept running (billed while idle)',
});

const PROVIDERS = ['fcm', 'apns'] as const;
type DeployedProvider = (typeof PROVIDERS)[number];

/**
 * A deploy-time setting: the environment's value, else the last of .env and .env.<project> in
 * the functions' folder that sets it. firebase-tools 14 loads the functions at deploy (to learn
 * their secrets) without those files' values in the environment, so they are read here as the
 * CLI reads them; deployed functions and the emulator get them as environment variables too.
 */
export function deploySetting(
  name: string,
  env = process.env,
  dir = process.cwd(),
): string | undefined {
  if (env[name] !== undefined) return env[name];
  const project = env.GCLOUD_PROJECT;
  let value: string | undefined;
  for (const file of ['.env', ...(project ? [`.env.${project}`] : [])]) {
    let text = '';
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      continue; // no such file
    }
    const match = new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, 'm').exec(text);
    if (match) value = match[1];
  }
  return value;
}

/**
 * The push providers this deployment sends through, from PUSH_PROVIDERS (`fcm,apns` when
 * unset). Not a param: it decides which secrets each function binds, which the CLI fixes when
 * it loads the code at deploy, before params resolve.
 */
export function pushProvidersAtDeploy(
  setting = deploySetting('PUSH_PROVIDERS'),
): ReadonlySet<DeployedProvider> {
  const listed = (setting ?? 'fcm,apns')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = listed.filter((name) => !(PROVIDERS as readonly string[]).includes(name));
  if (unknown.length > 0 || listed.length === 0) {
    throw new Error(
      `PUSH_PROVIDERS must list one or more of ${PROVIDERS.join(', ')}; got "${setting ?? ''}"`,
    );
  }
  return new Set(listed as DeployedProvider[]);
}

/** The secrets a function that sends pushes binds: APNs' key when APNs is used; FCM needs none. */
function pushSecrets(): SecretParam[] {
  return pushProvidersAtDeploy().has('apns') ? [APNS_KEY] : [];
}

/** Options of the HTTPS API. */
export function apiOptions() {
  return {
    region: REGION,
    minInstances: API_MIN_INSTANCES,
    secrets: [PBX_API_KEY, ...pushSecrets()],
    timeoutSeconds: 60,
    memory: '256MiB' as const,
  };
}

/**
 * Options of the triggers and scheduled jobs. Those that send pushes (cancels, a stalled
 * fan-out's pushes) bind the providers' secrets: a function reads only the secrets it binds.
 */
export function eventOptions({ sendsPushes }: { sendsPushes: boolean }) {
  return { region: REGION, ...(sendsPushes ? { secrets: pushSecrets() } : {}) };
}

/**
 * The Firebase project's number (FCM's sender id). RFC 8599 phones name the
 * project they push through in pn-param: by id, or, as Linphone does, by this
 * number. Empty: only the project id is accepted.
 */
export const FCM_SENDER_ID = defineString('FCM_SENDER_ID', {
  default: '',
  description: 'Project number (FCM sender id) that RFC 8599 phones may name in pn-param',
});

/** `live` sends to FCM and APNs; `outbox` stores rendered pushes; `auto`: outbox on the emulator. */
export const PUSH_MODE = defineString('PUSH_MODE', {
  default: 'auto',
  description: 'Push delivery: live, outbox, or auto (outbox on the emulator, live when deployed)',
});

/** Longest a PBX's POST /v1/calls waits on the providers, whatever the ring time. */
export const PUSH_SEND_BUDGET_MS = defineInt('PUSH_SEND_BUDGET_MS', {
  default: 8000,
  description: 'Milliseconds the incoming-call request may spend pushing (retries included)',
});

/** Distinct calls one extension may receive per minute (per instance) before 429. */
export const CALLS_PER_EXTENSION_PER_MINUTE = defineInt('CALLS_PER_EXTENSION_PER_MINUTE', {
  default: 30,
  description: 'Distinct incoming calls per extension per minute before callwake answers 429',
});

/** Devices whose registration was not refreshed for this many days are deleted. */
export const STALE_DEVICE_DAYS = defineInt('STALE_DEVICE_DAYS', {
  default: 60,
  description: 'Days without a registration refresh after which a device is pruned',
});

/** Calls are kept this long (TTL policy on purgeAt, plus a daily backstop job). */
export const CALL_RETENTION_DAYS = defineInt('CALL_RETENTION_DAYS', {
  default: 30,
  description: 'Days a call and its timeline are kept',
});

export const isEmulator = () => process.env.FUNCTIONS_EMULATOR === 'true';

export function pushMode(): 'live' | 'outbox' {
  const mode = PUSH_MODE.value();
  if (mode === 'live' || mode === 'outbox') return mode;
  return isEmulator() ? 'outbox' : 'live';
}

export function projectId(): string {
  return process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-callwake';
}

/**
 * Provider endpoints. Plain environment variables rather than params: they
 * exist to point the providers at test servers, not to be set per deploy.
 */
export function providerEndpoints() {
  return {
    fcmOrigin: process.env.CALLWAKE_FCM_ORIGIN ?? 'https://fcm.googleapis.com',
    apnsOrigins: {
      production: process.env.CALLWAKE_APNS_PRODUCTION_ORIGIN ?? 'https://api.push.apple.com',
      sandbox: process.env.CALLWAKE_APNS_SANDBOX_ORIGIN ?? 'https://api.sandbox.push.apple.com',
    },
    /** Extra CA (PEM file) to trust for APNs: the test server's self-signed certificate. */
    apnsCaFile: process.env.CALLWAKE_APNS_CA_FILE,
    /**
     * A fixed FCM bearer token, honoured on the emulator only: a fake FCM
     * server has no Google OAuth behind it.
     */
    fcmStaticAccessToken: isEmulator() ? process.env.CALLWAKE_FCM_ACCESS_TOKEN : undefined,
  };
}

/** Secrets as stored may hold a PEM with literal "\n" (one-line .env files); restore newlines. */
export function apnsKey(): string {
  return APNS_KEY.value().replace(/\\n/g, '\n');
}
