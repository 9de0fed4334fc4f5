import { toAppError } from '../backingErrors';
import type { Call } from '../core/model';
import { parseAnswerDoc } from '../store/answerDoc';
import type { EventServices } from './eventServices';
import { tooOld } from './retries';

/**
 * How long the trigger leaves an answer to the request that settles it: the HTTPS answer route
 * settles its own answers, and a held long-poll of the call settles those written through
 * Firestore, each within the API's transaction budget (5 s, store/storeDeadlines.ts). Settling
 * it here at the same moment would cost both transactions seconds (two at once on one call
 * document: scripts/contention-probe.mjs). Past this, the trigger settles it: never lost.
 */
export const REQUEST_SETTLES_WITHIN_MS = 6_000;

/**
 * A long-poll ending sooner than this may stop watching before it sees the answer: the trigger
 * settles the answer itself rather than wait for it.
 */
export const LONG_POLL_ENDING_MS = 1_000;

/** A write of an answer document, as the trigger sees it. */
export interface AnswerWrite {
  tenant: string;
  callUuid: string;
  deviceId: string;
  /** The CloudEvent's time. */
  time: string;
  /** The document's creation (its createTime), when the event carries it. */
  createdAt?: number;
  /** The document after the write (undefined once deleted). */
  data: unknown;
}

/**
 * The call's state machine: the first answer of a ringing call wins, inside a
 * transaction; later ones are recorded as late. The outcome is written in the
 * same transaction, so a redelivered or out-of-order trigger changes nothing.
 * A run that fails (a store outage) throws, and the platform retries it: an
 * answer the app wrote is never lost, it wins or is recorded late. An answer a request settles
 * (the HTTPS route's, or one a long-poll of the call watches) is left to it, and settled here
 * only if it was not.
 */
export async function handleAnswerWritten(
  write: AnswerWrite,
  services: () => Promise<EventServices>,
): Promise<void> {
  if (!write.data) return;
  const read = parseAnswerDoc(write.data, write.deviceId);
  if (!read) {
    (await services()).log.warn('ignoring a malformed answer', {
      callUuid: write.callUuid,
      device: write.deviceId,
    });
    return;
  }
  if (read.outcome) return; // our own write, or settled by the HTTPS route or a long-poll
  const { calls, longPolls, clock, log } = await services();
  if (tooOld(write.time, clock.now())) {
    log.error('answer event too old to settle; dropped', { callUuid: write.callUuid });
    return;
  }
  // Watched, not read in a transaction: the call records the device's answer once settled.
  const recorded = (call: Call | null) => call?.deliveries[write.deviceId]?.answer !== undefined;
  // Who else settles it: the HTTPS route its own answers, in its request; a long-poll of the
  // call those written through Firestore, until the call stops ringing (then it may stop
  // watching before it sees a late one). Settled here only when that request did not (its
  // instance died), or when nobody else will.
  const settledElsewhere =
    read.door === 'api'
      ? recorded
      : (await longPollWatching(write, longPolls, clock.now(), log))
        ? (call: Call) => recorded(call) || call.status !== 'ringing'
        : null;
  if (settledElsewhere) {
    const seen = await calls.waitFor(
      write.tenant,
      write.callUuid,
      settledElsewhere,
      REQUEST_SETTLES_WITHIN_MS,
    );
    if (recorded(seen)) return;
  }
  const outcome = await calls.settleAnswer(write.tenant, write.callUuid, read.answer, clock.now());
  log.info('answer settled', { callUuid: write.callUuid, device: write.deviceId, outcome });
}

/** Whether a long-poll of the call will still watch its answers; unknown counts as no. */
async function longPollWatching(
  write: AnswerWrite,
  longPolls: EventServices['longPolls'],
  now: number,
  log: EventServices['log'],
): Promise<boolean> {
  try {
    // The trigger leaves the answer only to a long-poll held before the answer was created: one
    // held at or after it leaves the answer to this trigger for a moment (routes/calls.ts).
    return await longPolls.watching(
      write.tenant,
      write.callUuid,
      now + LONG_POLL_ENDING_MS,
      write.createdAt,
    );
  } catch (err) {
    // Settling at once costs only contention with a long-poll that may be settling it too.
    log.warn('could not tell whether a long-poll watches the call; settling here', {
      callUuid: write.callUuid,
      error: toAppError(err).code,
    });
    return false;
  }
}
