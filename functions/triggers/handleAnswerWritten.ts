import { z } from 'zod';
import { isTimestamp } from '../store/firestore';
import type { EventServices } from './eventServices';
import { tooOld } from './retries';

/** An answer as the rules let the app write it (the server adds `outcome`). */
const answerDoc = z.object({
  action: z.enum(['accept', 'decline']),
  deviceId: z.string(),
  uid: z.string(),
  answeredAt: z.custom<{ toMillis(): number }>(isTimestamp, 'must be a server timestamp'),
  outcome: z.enum(['won', 'late']).optional(),
});

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
 * answer the app wrote is never lost, it wins or is recorded late.
 */
export async function handleAnswerWritten(
  write: AnswerWrite,
  services: () => Promise<EventServices>,
): Promise<void> {
  if (!write.data) return;
  const parsed = answerDoc.safeParse(write.data);
  if (!parsed.success || parsed.data.deviceId !== write.deviceId) {
    (await services()).log.warn('ignoring a malformed answer', {
      callUuid: write.callUuid,
      device: write.deviceId,
    });
    return;
  }
  const answer = parsed.data;
  if (answer.outcome) return; // our own write, or settled by the HTTPS route
  const { calls, clock, log } = await services();
  if (tooOld(write.time, clock.now())) {
    log.error('answer event too old to settle; dropped', { callUuid: write.callUuid });
    return;
  }
  const outcome = await calls.settleAnswer(
    write.tenant,
    write.callUuid,
    {
      action: answer.action,
      deviceId: answer.deviceId,
      uid: answer.uid,
      answeredAt: answer.answeredAt.toMillis(),
    },
    clock.now(),
  );
  log.info('answer settled', { callUuid: write.callUuid, device: answer.deviceId, outcome });
}
