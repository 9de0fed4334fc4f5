import type { Call } from '../core/model';
import { parseAnswerDoc } from '../store/answerDoc';
import type { EventServices } from './eventServices';
import { tooOld } from './retries';

/**
 * How long the trigger leaves an answer of the HTTPS route to that route: the route settles it
 * in its own request, within the API's transaction budget (5 s, store/storeDeadlines.ts), or
 * fails and the app sends it again. Settling it here at the same moment would cost both
 * transactions seconds (two at once on one call document: scripts/contention-probe.mjs).
 */
export const ROUTE_SETTLES_WITHIN_MS = 6_000;

/** A write of an answer document, as the trigger sees it. */
export interface AnswerWrite {
  tenant: string;
  callUuid: string;
  deviceId: string;
  /** The CloudEvent's time. */
  time: string;
  /** The document after the write (undefined once deleted). */
  data: unknown;
}

/**
 * The call's state machine: the first answer of a ringing call wins, inside a
 * transaction; later ones are recorded as late. The outcome is written in the
 * same transaction, so a redelivered or out-of-order trigger changes nothing.
 * A run that fails (a store outage) throws, and the platform retries it: an
 * answer the app wrote is never lost, it wins or is recorded late. An answer the HTTPS route
 * stored is that route's to settle; this settles it only if the route did not.
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
  const { calls, clock, log } = await services();
  if (tooOld(write.time, clock.now())) {
    log.error('answer event too old to settle; dropped', { callUuid: write.callUuid });
    return;
  }
  if (read.door === 'api') {
    // Watched, not read in a transaction: the call records the device's answer once settled.
    // Only when the route did not (its instance died) is it settled here: never lost.
    const recorded = (call: Call | null) => call?.deliveries[write.deviceId]?.answer !== undefined;
    const seen = await calls.waitFor(
      write.tenant,
      write.callUuid,
      recorded,
      ROUTE_SETTLES_WITHIN_MS,
    );
    if (recorded(seen)) return;
  }
  const outcome = await calls.settleAnswer(write.tenant, write.callUuid, read.answer, clock.now());
  log.info('answer settled', { callUuid: write.callUuid, device: write.deviceId, outcome });
}
