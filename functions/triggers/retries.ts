/**
 * Every trigger runs with `retry: true`: the platform redelivers an event whose run threw (or
 * whose instance died), with backoff, for days. firebase-functions v2 turns the option into the
 * deployed trigger's retry policy (its v2/providers/firestore.js makeEndpoint sets
 * `eventTrigger.retry`, default false). The Functions emulator (firebase-tools 13) delivers each
 * event once and does not retry; the tests play the redelivery with firebase-functions-test.
 *
 * So every trigger must be idempotent (each state change is a transaction that re-checks the
 * state), and must stop retrying an event nothing can help any more.
 */

/** Past this age an event is dropped rather than retried: a phone stopped ringing long ago. */
export const MAX_EVENT_AGE_MS = 30 * 60_000;

/** Whether an event (its CloudEvent `time`) is too old to be worth another run. */
export function tooOld(time: string, now: number): boolean {
  const at = Date.parse(time);
  return Number.isFinite(at) && now - at > MAX_EVENT_AGE_MS;
}
