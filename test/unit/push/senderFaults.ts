import assert from 'node:assert/strict';
import type { SendResult } from '../../../functions/core/send/push';

/** The checks every sender passes against its fake provider server, written once. */

/** A sender under test, over its fake provider server, whose faults are `F`. */
export interface SenderOverFake<F extends string = 'reset' | 'hang'> {
  /** A token no test used before. */
  token: () => string;
  /** Makes the fake answer the token's next request with this fault (reset: drop it; hang: never answer). */
  script: (token: string, reply: F | 'reset' | 'hang') => void;
  /** Sends a push to the token, with `budgetMs` to its deadline. */
  send: (token: string, budgetMs?: number) => Promise<SendResult>;
}

/** A sender under test over `fake`, whose `script` queues replies for a token. */
export function overFake<F extends string>(
  fake: { script: (token: string, replies: (F | 'reset' | 'hang')[]) => void },
  token: () => string,
  send: (token: string, budgetMs?: number) => Promise<SendResult>,
): SenderOverFake<F> {
  return {
    token,
    script: (t, reply) => {
      fake.script(t, [reply]);
    },
    send,
  };
}

/**
 * The same checks for every provider: a connection the provider drops, or a request it never
 * answers, is a retryable failure settled by the deadline, and the sender goes on working.
 */
export function connectionFailureTests<F extends string>(
  provider: string,
  sut: () => SenderOverFake<F>,
): void {
  it(`reports a reset connection as a retryable network error, and keeps working`, async () => {
    const { token, script, send } = sut();
    const reset = token();
    script(reset, 'reset');
    assert.deepEqual(await send(reset), {
      kind: 'failed',
      retryable: true,
      reason: 'network_error',
    });
    assert.equal((await send(reset)).kind, 'accepted');
  });

  it(`settles as a timeout by the deadline when ${provider} never answers, and keeps working`, async () => {
    const { token, script, send } = sut();
    const hung = token();
    script(hung, 'hang');
    const started = Date.now();
    const result = await send(hung, 300);
    const elapsed = Date.now() - started;
    // The fake never answers: a result at all means the deadline ended the request.
    assert.deepEqual(result, { kind: 'failed', retryable: true, reason: 'timeout' });
    assert.ok(elapsed >= 280, `settled after ${elapsed} ms, before the deadline`);
    // A hanging request does not block the connection the sender shares.
    assert.equal((await send(token())).kind, 'accepted');
  });
}

/** Each fault (as the fake names it, with the status and reason it answers) reports a dead token. */
export function deadTokenTests<F extends string>(
  sut: () => SenderOverFake<F>,
  faults: readonly (readonly [F, number, string])[],
): void {
  for (const [fault, status, reason] of faults) {
    it(`reports ${fault} as a dead token`, async () => {
      const { token, script, send } = sut();
      const dead = token();
      script(dead, fault);
      assert.deepEqual(await send(dead), { kind: 'dead_token', status, reason });
    });
  }
}
