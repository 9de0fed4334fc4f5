import { defineSecret, defineString, defineInt } from 'firebase-functions/params';

/**
 * Every setting in one place. Values are read at run time through the
 * functions below, never at import time.
 */

/** The default tenant's PBX API key. */
export const PBX_API_KEY = defineSecret('PBX_API_KEY');
/** APNs token auth: the .p8 key (PEM), its key id and the Apple team id. */
export const APNS_KEY = defineSecret('APNS_KEY');
export const APNS_KEY_ID = defineSecret('APNS_KEY_ID');
export const APNS_TEAM_ID = defineSecret('APNS_TEAM_ID');

export const API_SECRETS = [PBX_API_KEY, APNS_KEY, APNS_KEY_ID, APNS_TEAM_ID];

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
