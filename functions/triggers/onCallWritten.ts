import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { eventOptions } from '../config';
import { runCancelJob } from '../core/cancelCall';
import { CANCEL_BUDGET_MS, CANCEL_LEASE_MS } from '../core/cancelJob';
import type { Call } from '../core/model';
import { scheduleDeadline } from '../tasks/deadlineQueue';
import { getServices } from '../wiring';
import { tooOld } from './retries';

/** A run waits this long for another run's lease to lapse before leaving it to a retry. */
const MAX_WAIT_MS = CANCEL_LEASE_MS + 5_000;

/**
 * A call created ringing gets the task that ends it at its deadline (tasks/onCallDeadline.ts);
 * scheduling it failing throws, and the platform retries the event.
 *
 * Once ringing stops (an answer, the PBX's cancel, or the expiry job), every
 * other device gets its cancel push. Runs while the call's cancel job is
 * pending; the job is taken under a lease, so a redelivered trigger, or this
 * trigger seeing its own writes, sends nothing twice. A run that finds the
 * job held waits for it, and takes it over if the run holding it died; if it
 * is still held after that, it throws, and the platform retries the event.
 */
export const onCallWritten = onDocumentWritten(
  {
    ...eventOptions({ sendsPushes: true }),
    document: 'tenants/{tenant}/calls/{callUuid}',
    retry: true,
  },
  async (event) => {
    const after = event.data?.after.data() as Call | undefined;
    if (after?.status === 'ringing' && !event.data?.before.exists) {
      await scheduleDeadline(after);
      return;
    }
    if (after?.cancel?.state !== 'pending') return;
    const services = await getServices();
    const { logger } = await import('firebase-functions/v2');
    const { tenant, callUuid } = event.params;
    if (tooOld(event.time, services.clock.now())) {
      logger.error('cancel event too old; dropped', { callUuid });
      return;
    }
    const run = await runCancelJob(
      tenant,
      callUuid,
      {
        calls: services.events.calls,
        devices: services.events.devices,
        senders: await services.sendersFor(await services.tenants.tenant(tenant)),
        endpoints: services.endpoints,
        clock: services.clock,
        leaseMs: CANCEL_LEASE_MS,
        sendBudgetMs: CANCEL_BUDGET_MS,
      },
      MAX_WAIT_MS,
    );
    if (run.kind === 'busy') throw new Error('the cancel job is still held by another run');
    logger.info('cancel pushes sent', {
      callUuid,
      reason: after.cancel.reason,
      sent: run.kind === 'sent' ? run.sent : 0,
    });
  },
);
