/**
 * What the API tells any client to retry, a second later: 503 unavailable (the database did not
 * answer in time), 429 busy (contention, or a database answering slowly under load), and a 5xx
 * the platform answered itself, without callwake's error body (the Functions emulator failing to
 * hand a request to a worker it just started: "write EPIPE").
 */
export function retriedByClients(status: number, error: unknown): boolean {
  const platform = status >= 500 && typeof error !== 'string';
  return status === 503 || platform || (status === 429 && error === 'busy');
}

/**
 * Sends until `again` no longer holds for the answer, at most `tries` times, a second apart (the
 * API's Retry-After). The last answer counts; `retried` says whether it took more than one.
 */
export async function retrying<R>(
  send: () => Promise<R>,
  again: (reply: R) => boolean,
  tries: number,
): Promise<{ reply: R; retried: boolean }> {
  for (let attempt = 1; ; attempt += 1) {
    const reply = await send();
    if (!again(reply) || attempt >= tries) return { reply, retried: attempt > 1 };
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
