import { onTaskDispatched } from 'firebase-functions/v2/tasks';
import { HttpsError } from 'firebase-functions/v2/https';
import { z } from 'zod';
import { eventOptions } from '../config';
import { applyExpiry } from '../core/call/callState';
import { deadlineMoot, deadlineStep } from '../core/call/deadline';
import { tenantSchema } from '../core/schemas';
import { getServices } from '../wiring/services';

const taskData = z.object({
  tenant: tenantSchema,
  callUuid: z.uuid(),
  expiresAt: z.number().int(),
});

/**
 * Ends a call that still rings at its deadline: `missed`, written in a transaction (an answer
 * that won first is left alone), and the call trigger sends the cancel pushes. Scheduled for
 * each ringing call by onCallWritten. The API already answers `missed` from the deadline on
 * (core/call/callState.ts asOf); this makes the document say so too, for the apps that watch it,
 * without waiting for a request or the minute job. Running twice changes nothing more.
 *
 * Retries: every second for up to 5 minutes (a store outage, or the emulator's early dispatch,
 * core/call/deadline.ts); after that, the minute job ends the call.
 */
export const onCallDeadline = onTaskDispatched(
  {
    ...eventOptions({ sendsPushes: false }),
    retryConfig: {
      maxAttempts: -1,
      maxRetrySeconds: 300,
      minBackoffSeconds: 1,
      maxBackoffSeconds: 1,
      maxDoublings: 0,
    },
    rateLimits: { maxConcurrentDispatches: 100 },
    timeoutSeconds: 30,
  },
  async (request) => {
    const parsed = taskData.safeParse(request.data);
    const { logger } = await import('firebase-functions/v2');
    if (!parsed.success) {
      logger.warn('ignoring a malformed deadline task', { id: request.id });
      return;
    }
    const { tenant, callUuid, expiresAt } = parsed.data;
    const { events, clock } = await getServices();
    const step = deadlineStep(expiresAt, clock.now());
    if (step.kind === 'retry') {
      // Read only for an early task: Cloud Tasks dispatches at the deadline. A read that fails
      // (a store outage) decides nothing: the task comes back as before.
      const call = await events.calls.get(tenant, callUuid).catch(() => undefined);
      if (call !== undefined && deadlineMoot(call)) return;
      // No log line: an HttpsError is answered quietly, and the queue comes back in a second.
      throw new HttpsError('unavailable', 'before the call deadline');
    }
    if (step.kind === 'wait') await clock.sleep(step.ms);
    const result = await events.calls.transition(tenant, callUuid, (call) =>
      applyExpiry(call, clock.now()),
    );
    if (result?.patch) logger.info('call missed at its deadline', { callUuid });
  },
);
