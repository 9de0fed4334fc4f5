/**
 * What Apple knows across its two APNs environments, shared by a production and a sandbox
 * FakeApns: which environment each device token belongs to, the provider tokens it has seen per
 * team, and the clock it judges them by (tests move it).
 *
 * Apple's rules, as documented ("Establishing a token-based connection to APNs"; "Handling
 * notification responses from APNs") and as Apple DTS states them on the developer forums:
 * - A device token belongs to one environment; sent to the other it gets 400 BadDeviceToken.
 * - A provider token whose `iat` is more than an hour old gets 403 ExpiredProviderToken.
 * - A team's token may change no more than once every 20 minutes: a token Apple has not seen,
 *   presented sooner, gets 429 TooManyProviderTokenUpdates (counted per team, whatever the key
 *   or connection, thread 702056). Tokens Apple has seen stay usable until they expire, from
 *   any number of servers. A renewal Apple asked for (after an expiry) is not "too often".
 * Apple does not document whether the two environments count together; here they do, which is
 * the stricter reading (a client that signs per environment is caught).
 */
import type { ApnsEnv } from '../../functions/core/send/push';

export const MIN_UPDATE_INTERVAL_MS = 20 * 60_000;
const MAX_TOKEN_AGE_S = 3600;

/** Apple's verdict on a provider token whose signature checked out. */
export type ProviderTokenVerdict = 'ok' | 'ExpiredProviderToken' | 'TooManyProviderTokenUpdates';

interface TeamLedger {
  /** Token → when Apple first took it. */
  seen: Map<string, number>;
  lastUpdateAt: number | undefined;
  /** Apple told this team its token expired: the next new token is a renewal, not an excess. */
  renewalDue: boolean;
  updates: { jwt: string; at: number }[];
  refused: number;
}

/** Options for {@link ApnsWorld}. */
export interface ApnsWorldOptions {
  /** Apple's clock, epoch ms. */
  clock?: () => number;
}

export class ApnsWorld {
  readonly now: () => number;
  private readonly environments = new Map<string, ApnsEnv>();
  private readonly teams = new Map<string, TeamLedger>();
  private readonly expired = new Set<string>();

  constructor(options: ApnsWorldOptions = {}) {
    this.now = options.clock ?? Date.now;
  }

  /** Says which environment issued `token`. Unregistered tokens are production tokens. */
  register(token: string, environment: ApnsEnv): void {
    this.environments.set(token, environment);
  }

  environmentOf(token: string): ApnsEnv {
    return this.environments.get(token) ?? 'production';
  }

  /** Apple's verdict on `jwt` (signature already verified) for `team`, recording a new token. */
  judge(team: string, jwt: string, issuedAtS: number): ProviderTokenVerdict {
    const ledger = this.ledger(team);
    if (this.expired.has(jwt)) return 'ExpiredProviderToken';
    if (this.now() / 1000 - issuedAtS > MAX_TOKEN_AGE_S) {
      ledger.renewalDue = true;
      return 'ExpiredProviderToken';
    }
    if (ledger.seen.has(jwt)) return 'ok';
    const now = this.now();
    const last = ledger.lastUpdateAt;
    if (last !== undefined && !ledger.renewalDue && now - last < MIN_UPDATE_INTERVAL_MS) {
      ledger.refused += 1;
      return 'TooManyProviderTokenUpdates';
    }
    ledger.seen.set(jwt, now);
    ledger.lastUpdateAt = now;
    ledger.renewalDue = false;
    ledger.updates.push({ jwt, at: now });
    return 'ok';
  }

  /** Apple calls `jwt` expired from now on (and so expects `team` to renew). */
  expire(team: string, jwt: string): void {
    this.expired.add(jwt);
    this.expectRenewal(team);
  }

  /** Apple told `team` its token expired: the next new token is a renewal, not an excess. */
  expectRenewal(team: string): void {
    this.ledger(team).renewalDue = true;
  }

  /** The new tokens Apple took for `team`, in order. */
  updates(team: string): { jwt: string; at: number }[] {
    return [...this.ledger(team).updates];
  }

  /** How many times `team` was told TooManyProviderTokenUpdates. */
  refusedUpdates(team: string): number {
    return this.ledger(team).refused;
  }

  /** Forgets environments, provider tokens and expiries. */
  reset(): void {
    this.environments.clear();
    this.teams.clear();
    this.expired.clear();
  }

  private ledger(team: string): TeamLedger {
    let ledger = this.teams.get(team);
    if (ledger === undefined) {
      ledger = {
        seen: new Map(),
        lastUpdateAt: undefined,
        renewalDue: false,
        updates: [],
        refused: 0,
      };
      this.teams.set(team, ledger);
    }
    return ledger;
  }
}
