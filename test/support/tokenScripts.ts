/**
 * What both fake providers keep per device token: the requests received, the
 * faults queued for it, and whether it is unregistered for good.
 */
export class TokenScripts<R extends { token?: string }, F> {
  /** Every request received, in order. */
  readonly requests: R[] = [];
  private readonly scripts = new Map<string, F[]>();
  private readonly unregistered = new Set<string>();

  /** Requests addressed to `token`. */
  requestsFor(token: string): R[] {
    return this.requests.filter((r) => r.token === token);
  }

  /** Queues answers for `token`, consumed one per valid request, then success. */
  script(token: string, faults: F[]): void {
    this.scripts.set(token, [...(this.scripts.get(token) ?? []), ...faults]);
  }

  /** Marks `token` unregistered for good (the provider's "unregistered" on every send). */
  unregister(token: string): void {
    this.unregistered.add(token);
  }

  /** Forgets requests, scripts and unregistered tokens. */
  reset(): void {
    this.requests.length = 0;
    this.scripts.clear();
    this.unregistered.clear();
  }

  /** The answer due for a valid request to `token`: unregistered, its next fault, or ok. */
  protected nextFault(token: string): F | 'ok' | 'unregistered' {
    if (this.unregistered.has(token)) return 'unregistered';
    return this.scripts.get(token)?.shift() ?? 'ok';
  }
}
