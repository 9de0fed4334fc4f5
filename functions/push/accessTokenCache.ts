/** An OAuth access token as an OAuth 2.0 token endpoint returns it (Google's, Huawei's). */
export interface OAuthAccessToken {
  access_token: string;
  /** Seconds from now. */
  expires_in: number;
}

/** Where a provider's bearer comes from: a cached token, and a way to say it was refused. */
export interface AccessTokenSource {
  get(): Promise<string>;
  /** The provider refused `token`: the next `get()` fetches a new one. */
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
    private readonly fetchToken: () => Promise<OAuthAccessToken>,
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
