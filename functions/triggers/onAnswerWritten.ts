import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { z } from 'zod';
import { isTimestamp } from '../store/firestore';
import { getServices } from '../wiring';

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
 */
export const onAnswerWritten = onDocumentWritten(
  'tenants/{tenant}/calls/{callUuid}/answers/{deviceId}',
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
    const { calls } = await getServices();
    const outcome = await calls.settleAnswer(event.params.tenant, event.params.callUuid, {
      action: answer.action,
      deviceId: answer.deviceId,
      uid: answer.uid,
      answeredAt: answer.answeredAt.toMillis(),
    });
    logger.info('answer settled', {
      callUuid: event.params.callUuid,
      device: answer.deviceId,
      outcome,
    });
  },
);
