import { providerEndpoints } from '../config';

let cached: { token: string; until: number } | undefined;
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * An OAuth token for FCM from the app's credential (the runtime service
 * account when deployed), cached until shortly before it expires.
 */
export async function fcmAccessToken(): Promise<string> {
  const fixed = providerEndpoints().fcmStaticAccessToken;
  if (fixed) return fixed;
  const now = Date.now();
  if (cached && cached.until > now) return cached.token;
  const { getApp, getApps, initializeApp } = await import('firebase-admin/app');
  const hasDefault = getApps().some((a) => a.name === '[DEFAULT]');
  const app = hasDefault ? getApp() : initializeApp();
  const credential =
    app.options.credential ?? (await import('firebase-admin/app')).applicationDefault();
  const { access_token: token, expires_in: expiresIn } = await credential.getAccessToken();
  cached = { token, until: now + expiresIn * 1000 - REFRESH_MARGIN_MS };
  return token;
}
