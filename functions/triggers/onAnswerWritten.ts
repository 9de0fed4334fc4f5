import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { z } from 'zod';
import { eventOptions } from '../config';
import { isTimestamp } from '../store/firestore';
import { getServices } from '../wiring';
import { tooOld } from './retries';

/** An answer as the rules let the app write it (the server adds `outcome`). */
const answerDoc = z.object({
  action: z.enum(['accept', 'decline']),
  deviceId: z.string(),
  uid: z.string(),
  answeredAt: z.custom<{ toMillis(): number }>(isTimestamp, 'must be a server timestamp'),
  outcome: z.enum(['won', 'late']).optional(),
});

/**
 * The call's state machine: the first answer of a ringing call wins, inside a
 * transaction; later ones are recorded as late. The outcome is written in the
 * same transaction, so a redelivered or out-of-order trigger changes nothing.
 * A run that fails (a store outage) throws, and the platform retries it: an
 * answer the app wrote is never lost, it wins or is recorded late.
 */
export const onAnswerWritten = onDocumentWritten(
  {
    ...eventOptions({ sendsPushes: false }),
    document: 'tenants/{tenant}/calls/{callUuid}/answers/{deviceId}',
    retry: true,
  },
  async (event) => {
    const { logger } = await import('firebase-functions/v2');
    const data = event.data?.after.data();
    if (!data) return;
    const parsed = answerDoc.safeParse(data);
    if (!parsed.success || parsed.data.deviceId !== event.params.deviceId) {
      logger.warn('ignoring a malformed answer', { path: event.document });
      return;
    }
    const answer = parsed.data;
    if (answer.outcome) return; // our own write, or settled by the HTTPS route
    const { events, clock } = await getServices();
    if (tooOld(event.time, clock.now())) {
      logger.error('answer event too old to settle; dropped', { path: event.document });
      return;
    }
    const outcome = await events.calls.settleAnswer(
      event.params.tenant,
      event.params.callUuid,
      {
        action: answer.action,
        deviceId: answer.deviceId,
        uid: answer.uid,
        answeredAt: answer.answeredAt.toMillis(),
      },
      clock.now(),
    );
    logger.info('answer settled', {
      callUuid: event.params.callUuid,
      device: answer.deviceId,
      outcome,
    });
  },
);
