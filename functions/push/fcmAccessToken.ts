import { providerEndpoints } from '../config';

/** An OAuth access token as Google's credentials return it. */
export interface GoogleAccessToken {
  access_token: string;
  /** Seconds from now. */
  expires_in: number;
}

/** Where FCM's bearer comes from: a cached token, and a way to say FCM refused it. */
export interface AccessTokenSource {
  get(): Promise<string>;
  /** FCM answered 401 to `token`: the next `get()` fetches a new one. */
  invalidate(token: string): void;
}

const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Caches one access token until shortly before it expires. Concurrent callers share one fetch
 * (a burst of calls on a cold instance makes one OAuth request, not one per push). A failed
 * fetch is not cached: the next caller tries again.
 */
export class AccessTokenCache implements AccessTokenSource {
  private cached: { token: string; until: number } | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<GoogleAccessToken>,
    private readonly clock: () => number = Date.now,
  ) {}

  get(): Promise<string> {
    const cached = this.cached;
    if (cached !== undefined && cached.until > this.clock()) return Promise.resolve(cached.token);
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(token: string): void {
    // Several sends refused with the same token clear it once; a newer token stays.
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async refresh(): Promise<string> {
    const asked = this.clock();
    const { access_token: token, expires_in: expiresIn } = await this.fetchToken();
    this.cached = { token, until: asked + expiresIn * 1000 - REFRESH_MARGIN_MS };
    return token;
  }
}

/** The app's credential (the runtime service account when deployed), loaded on first use. */
async function appCredentialToken(): Promise<GoogleAccessToken> {
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
