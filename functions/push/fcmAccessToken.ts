import { providerEndpoints } from '../config';
import {
  AccessTokenCache,
  type AccessTokenSource,
  type OAuthAccessToken,
} from './accessTokenCache';

/** The app's credential (the runtime service account when deployed), loaded on first use. */
async function appCredentialToken(): Promise<OAuthAccessToken> {
  const { getApp, getApps, initializeApp, applicationDefault } = await import('firebase-admin/app');
  const hasDefault = getApps().some((a) => a.name === '[DEFAULT]');
  const app = hasDefault ? getApp() : initializeApp();
  const credential = app.options.credential ?? applicationDefault();
  return credential.getAccessToken();
}

const appTokens = new AccessTokenCache(appCredentialToken);

/**
 * FCM's bearer for this process. On the emulator, a fixed token stands in for Google OAuth
 * (the fake FCM server accepts it); refusing it cannot be cured by fetching it again.
 */
export const fcmAccessTokens: AccessTokenSource = {
  get() {
    const fixed = providerEndpoints().fcmStaticAccessToken;
    return fixed ? Promise.resolve(fixed) : appTokens.get();
  },
  invalidate(token) {
    appTokens.invalidate(token);
  },
};

/** The current FCM bearer (kept for callers that only read it). */
export const fcmAccessToken = (): Promise<string> => fcmAccessTokens.get();
