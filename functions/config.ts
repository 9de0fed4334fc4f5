import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineInt, defineSecret, defineString } from 'firebase-functions/params';
import type { SecretParam } from 'firebase-functions/params';
import { PROVIDERS, type Provider } from './core/send/push';
import type { PushEndpoints } from './core/render/incomingPush';

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

/**
 * Web Push (browsers): the VAPID key pair (RFC 8292) that signs every push, as a PEM EC P-256
 * private key or as the JSON `npx web-push generate-vapid-keys --json` prints. Its public half
 * is what browsers subscribe with (`applicationServerKey`).
 */
export const VAPID_KEY = defineSecret('VAPID_KEY');
/** The VAPID JWT's `sub`: how a push service reaches the operator (mailto: or https:). */
export const WEBPUSH_SUBJECT = defineString('WEBPUSH_SUBJECT', {
  default: '',
  description:
    'Contact for push services in the VAPID token: mailto:you@example.com or an https URL',
});

/** HMS Push Kit (Huawei phones): the OAuth 2.0 client secret of the app's project. */
export const HMS_CLIENT_SECRET = defineSecret('HMS_CLIENT_SECRET');
/** ...and its client id, which also names the app in the messages:send URL. Not a secret. */
export const HMS_CLIENT_ID = defineString('HMS_CLIENT_ID', {
  default: '',
  description: 'OAuth 2.0 client ID of the app (AppGallery Connect → Project settings)',
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

/**
 * onCallWritten instances kept warm: 1 takes the cold start off the cancel pushes (hang-up,
 * answer elsewhere) after a quiet spell; a cold instance's first run costs a second or more.
 */
export const CANCEL_MIN_INSTANCES = defineInt('CANCEL_MIN_INSTANCES', {
  default: 0,
  description: 'Instances of onCallWritten (the cancel pushes) kept running (billed while idle)',
});

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
): ReadonlySet<Provider> {
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
  return new Set(listed as Provider[]);
}

/** Each provider's secret; FCM needs none (the functions' service account sends). */
const PROVIDER_SECRETS: Record<Provider, SecretParam | null> = {
  fcm: null,
  apns: APNS_KEY,
  webpush: VAPID_KEY,
  hms: HMS_CLIENT_SECRET,
};

/** The secrets a function that sends pushes binds: those of the providers it uses. */
function pushSecrets(): SecretParam[] {
  const used = pushProvidersAtDeploy();
  return PROVIDERS.flatMap((p) => {
    const secret = PROVIDER_SECRETS[p];
    return used.has(p) && secret ? [secret] : [];
  });
}

/**
 * Options of the HTTPS API. CORS for any origin: browser softphones call the app routes from
 * their own origin, and every route authenticates with a bearer credential, never a cookie, so
 * a page of another origin can do nothing its user's browser does not already hold the key to.
 */
export function apiOptions() {
  return {
    cors: true,
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

/** The emulators' project (a `demo-` id: nothing reaches a real project). */
export const EMULATOR_PROJECT = 'demo-callwake';

export function projectId(): string {
  return process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? EMULATOR_PROJECT;
}

/**
 * Provider endpoints. Plain environment variables rather than params: they
 * exist to point the providers at test servers, not to be set per deploy.
 */
export function providerEndpoints() {
  const env = process.env;
  return {
    fcmOrigin: env.CALLWAKE_FCM_ORIGIN ?? 'https://fcm.googleapis.com',
    apnsOrigins: {
      production: env.CALLWAKE_APNS_PRODUCTION_ORIGIN ?? 'https://api.push.apple.com',
      sandbox: env.CALLWAKE_APNS_SANDBOX_ORIGIN ?? 'https://api.sandbox.push.apple.com',
    },
    /** Extra CA (PEM file) to trust for APNs: the test server's self-signed certificate. */
    apnsCaFile: env.CALLWAKE_APNS_CA_FILE,
    /**
     * A fixed FCM bearer token, honoured on the emulator only: a fake FCM
     * server has no Google OAuth behind it.
     */
    fcmStaticAccessToken: isEmulator() ? env.CALLWAKE_FCM_ACCESS_TOKEN : undefined,
    hmsOrigin: env.CALLWAKE_HMS_ORIGIN ?? 'https://push-api.cloud.huawei.com',
    hmsTokenUrl:
      env.CALLWAKE_HMS_TOKEN_URL ?? 'https://oauth-login.cloud.huawei.com/oauth2/v3/token',
    /** Extra CA (PEM file) to trust for Web Push: the test push service's certificate. */
    webPushCaFile: env.CALLWAKE_WEBPUSH_CA_FILE,
    /**
     * Push service origins exempt from the private-address rule, on the emulator only: the test
     * push service on 127.0.0.1. Deployed, no endpoint may reach a private address.
     */
    webPushTestOrigins: isEmulator()
      ? (env.CALLWAKE_WEBPUSH_TEST_ORIGINS ?? '').split(',').filter(Boolean)
      : [],
  };
}

/** Where the rendered pushes go (the ring path's PushEndpoints). */
export function pushEndpoints(): PushEndpoints {
  const endpoints = providerEndpoints();
  return {
    projectId: projectId(),
    fcmOrigin: endpoints.fcmOrigin,
    apnsOrigins: endpoints.apnsOrigins,
    hms: { origin: endpoints.hmsOrigin, clientId: HMS_CLIENT_ID.value() },
  };
}

/** Secrets as stored may hold a PEM with literal "\n" (one-line .env files); restore newlines. */
export function apnsKey(): string {
  return APNS_KEY.value().replace(/\\n/g, '\n');
}
