/**
 * The APNs provider token (ES256 JWT) every instance presents, with no coordination between them.
 *
 * Apple counts token changes per team and answers 429 TooManyProviderTokenUpdates when a team's
 * token changes more often than every 20 minutes; it refuses a token whose `iat` is over an hour
 * old; and "you can use the same token from multiple provider servers" (Establishing a
 * token-based connection to APNs; Apple DTS on the developer forums, threads 702056 and 675879:
 * tokens are counted per team, whatever the key or the connection).
 *
 * So the token is a pure function of the key and the clock: `iat` is the start of the current
 * 30-minute window, and the signature is deterministic (RFC 6979 through @noble/curves), so every
 * instance, every environment and every cold start signs the identical JWT, without a Firestore
 * read on the ring path or a lease to lose. Clock skew between instances only moves the moment
 * each of them switches to the next window's token; an instance never goes back to an older
 * window, so Apple sees one new token per window, not a flip-flop.
 *
 * The window is 30 minutes, each window's token is first used one minute after its `iat` (a clock
 * slightly behind Apple's never presents an `iat` in the future), and a token is at most 31
 * minutes old in normal use. Two things can still make Apple refuse a token:
 * - A quiet spell: when the first push of a window comes late in it, the next window's token can
 *   be new to Apple less than 20 minutes later, and Apple answers TooManyProviderTokenUpdates.
 *   Then we sign nothing new: we keep presenting the token Apple last accepted (or the previous
 *   window's, which is what the other instances presented) for 20 minutes, which it still takes
 *   (under 55 minutes old), and move on after that. A 30-minute window is what makes this
 *   always possible: the older token stays young enough until the newer one is allowed.
 * - ExpiredProviderToken for a token at most 31 minutes old (Apple's clock far from ours, or a
 *   token Apple dropped): signing the same window again would give the same refused JWT, so the
 *   window moves to its next generation (`iat` one second later). Every instance that presents
 *   the refused token gets the same answer and so reaches the same replacement on its own.
 */
import { createPrivateKey } from 'node:crypto';

/** Options for {@link ApnsProviderToken}. */
export interface ApnsProviderTokenOptions {
  /** The .p8 signing key, PEM (PKCS #8, P-256). */
  key: string;
  keyId: string;
  teamId: string;
  /** Wall clock, epoch ms (tests move it). */
  clock?: () => number;
}

/** One provider token and the time it claims to be issued at. */
export interface ProviderToken {
  jwt: string;
  /** `iat`, in epoch ms. */
  issuedAt: number;
}

/** What to do after Apple answered TooManyProviderTokenUpdates. */
export interface UpdateRefused {
  /** Another token Apple accepts is available now: send again at once. */
  retryNow: boolean;
  /** Otherwise, how long before trying again is worth it. */
  retryAfterMs: number;
}

export const TOKEN_WINDOW_MS = 30 * 60_000;
/** A window's token is first used this long after its `iat`. */
const WINDOW_LEAD_MS = 60_000;
/** Apple's floor between two changes of a team's token. */
export const MIN_UPDATE_INTERVAL_MS = 20 * 60_000;
/** Oldest token we present (Apple refuses past 60 minutes; 5 minutes' margin for clocks). */
const MAX_TOKEN_AGE_MS = 55 * 60_000;
/** Without an older token to fall back on, how long a refused update waits before it is tried again. */
const REFUSED_UPDATE_RETRY_MS = 5_000;

type Sign = (input: Uint8Array) => Uint8Array;

/** The team's provider token, renewed per window; share one per process (signing is cached). */
export class ApnsProviderToken {
  private readonly clock: () => number;
  private signer: Promise<Sign> | undefined;
  /** The highest window used so far, and its generation (bumped by ExpiredProviderToken). */
  private window = Number.NEGATIVE_INFINITY;
  private generation = 0;
  private readonly signed = new Map<string, Promise<ProviderToken>>();
  /** The last token Apple took; kept through a refused update. */
  private lastAccepted: ProviderToken | undefined;
  private fallback: ProviderToken | undefined;
  private holdUntil = 0;
  /** Tokens Apple called expired: never a fallback. */
  private readonly expiredJwts = new Set<string>();

  constructor(private readonly options: ApnsProviderTokenOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The token to present now. Rejects only for a key that cannot sign. */
  async current(): Promise<ProviderToken> {
    const now = this.clock();
    const fallback = this.fallback;
    if (now < this.holdUntil && fallback !== undefined && young(fallback, now)) return fallback;
    this.fallback = undefined;
    const window = Math.floor((now - WINDOW_LEAD_MS) / TOKEN_WINDOW_MS);
    if (window > this.window) {
      this.window = window;
      this.generation = 0;
    }
    return this.token(this.window, this.generation);
  }

  /** Apple answered a request carrying `jwt` past its token checks. */
  accepted(token: ProviderToken): void {
    if (this.lastAccepted?.jwt === token.jwt) return;
    this.lastAccepted = token;
  }

  /** Apple answered ExpiredProviderToken: never present `token` again. */
  async expired(token: ProviderToken): Promise<void> {
    if (this.expiredJwts.size >= 8) this.expiredJwts.clear();
    this.expiredJwts.add(token.jwt);
    if (this.lastAccepted?.jwt === token.jwt) this.lastAccepted = undefined;
    if (this.fallback?.jwt === token.jwt) {
      this.fallback = undefined;
      return;
    }
    // Only the first of several concurrent answers about the same token moves the generation.
    const { window, generation } = this;
    if (!Number.isFinite(window)) return;
    const current = await this.token(window, generation);
    if (current.jwt === token.jwt && this.window === window && this.generation === generation) {
      this.generation += 1;
    }
  }

  /** Apple answered TooManyProviderTokenUpdates to `token`: keep an older one instead. */
  async updateRefused(token: ProviderToken): Promise<UpdateRefused> {
    const now = this.clock();
    const refusedFallback = this.fallback?.jwt === token.jwt;
    this.holdUntil = now + MIN_UPDATE_INTERVAL_MS;
    if (refusedFallback) {
      this.fallback = undefined;
      return { retryNow: false, retryAfterMs: REFUSED_UPDATE_RETRY_MS };
    }
    // The token Apple last accepted here, or else the previous window's, which the instances
    // that were running then presented.
    const previous = Number.isFinite(this.window)
      ? await this.token(this.window - 1, 0)
      : undefined;
    const candidates = [this.lastAccepted, previous];
    const fallback = candidates.find(
      (t) =>
        t !== undefined && t.jwt !== token.jwt && !this.expiredJwts.has(t.jwt) && young(t, now),
    );
    this.fallback = fallback;
    return fallback === undefined
      ? { retryNow: false, retryAfterMs: REFUSED_UPDATE_RETRY_MS }
      : { retryNow: true, retryAfterMs: 0 };
  }

  private token(window: number, generation: number): Promise<ProviderToken> {
    const id = `${window}:${generation}`;
    let token = this.signed.get(id);
    if (token === undefined) {
      token = this.sign(window * TOKEN_WINDOW_MS + generation * 1000);
      // Keep the few a hold can need; drop the rest (a long-lived instance crosses many windows).
      const [oldest] = this.signed.keys();
      if (this.signed.size >= 4 && oldest !== undefined) this.signed.delete(oldest);
      this.signed.set(id, token);
      token.catch(() => this.signed.delete(id));
    }
    return token;
  }

  private async sign(issuedAt: number): Promise<ProviderToken> {
    const sign = await this.loadSigner();
    const header = base64url(JSON.stringify({ alg: 'ES256', kid: this.options.keyId }));
    const claims = base64url(JSON.stringify({ iss: this.options.teamId, iat: issuedAt / 1000 }));
    const input = `${header}.${claims}`;
    const signature = Buffer.from(sign(Buffer.from(input, 'utf8'))).toString('base64url');
    return { jwt: `${input}.${signature}`, issuedAt };
  }

  /** Loads the curve code on first use: a function that never pushes to Apple never loads it. */
  private loadSigner(): Promise<Sign> {
    this.signer ??= (async () => {
      const jwk = createPrivateKey(this.options.key).export({ format: 'jwk' });
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.d === undefined) {
        throw new Error('APNS_KEY is not a P-256 private key');
      }
      const secret = Buffer.from(jwk.d, 'base64url');
      const { p256 } = await import('@noble/curves/nist.js');
      // RFC 6979: k comes from the key and the message, so equal inputs give equal signatures.
      // JWS ES256 wants r || s, which is noble's compact form.
      return (input: Uint8Array) =>
        p256.sign(input, secret, { prehash: true, lowS: false, extraEntropy: false });
    })();
    this.signer.catch(() => {
      this.signer = undefined;
    });
    return this.signer;
  }
}

function young(token: ProviderToken, now: number): boolean {
  return now - token.issuedAt < MAX_TOKEN_AGE_MS;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
