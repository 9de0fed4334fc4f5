import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { sendCancels } from '../core/cancelCall';
import type { Call } from '../core/model';
import { getServices } from '../wiring';

/** How long one run holds the cancel job before another may take it over. */
const CANCEL_LEASE_MS = 60_000;
const CANCEL_BUDGET_MS = 10_000;

/**
 * Once ringing stops (an answer, the PBX's cancel, or the expiry job), every
 * other device gets its cancel push. Runs only while the call's cancel job is
 * pending; the job is taken under a lease, so a redelivered trigger, or this
 * trigger seeing its own writes, sends nothing twice.
 */
export const onCallWritten = onDocumentWritten(
  'tenants/{tenant}/calls/{callUuid}',
  async (event) => {
    const after = event.data?.after.data() as Call | undefined;
    if (after?.cancel?.state !== 'pending') return;
    const services = await getServices();
    const { tenant, callUuid } = event.params;
    const sent = await sendCancels(tenant, callUuid, {
      calls: services.calls,
      devices: services.devices,
      senders: await services.sendersFor(await services.tenants.tenant(tenant)),
      endpoints: services.endpoints,
      clock: services.clock,
      leaseMs: CANCEL_LEASE_MS,
      sendBudgetMs: CANCEL_BUDGET_MS,
    });
    const { logger } = await import('firebase-functions/v2');
    logger.info('cancel pushes sent', { callUuid, reason: after.cancel.reason, sent });
  },
);
