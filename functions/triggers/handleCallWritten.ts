import { runCancelJob } from '../core/cancel/sendCancels';
import { CANCEL_BUDGET_MS, CANCEL_LEASE_MS } from '../core/cancel/cancelJobState';
import type { Call } from '../core/model';
import type { EventServices } from './eventServices';
import { tooOld } from './retries';

/** A run waits this long for another run's lease to lapse before leaving it to a retry. */
export const MAX_WAIT_MS = CANCEL_LEASE_MS + 5_000;

/** A write of a call document, as the trigger sees it. */
export interface CallWrite {
  tenant: string;
  callUuid: string;
  /** The CloudEvent's time. */
  time: string;
  after: Call | undefined;
}

/**
 * Once ringing stops (an answer, the PBX's cancel, or the expiry job), every
 * other device gets its cancel push. Runs while the call's cancel job is
 * pending; the job is taken under a lease, so a redelivered trigger, or this
 * trigger seeing its own writes, sends nothing twice. A run that finds the
 * job held waits for it, and takes it over if the run holding it died; if it
 * is still held after that, it throws, and the platform retries the event.
 */
export async function handleCallWritten(
  write: CallWrite,
  services: () => Promise<EventServices>,
): Promise<void> {
  const { after, tenant, callUuid } = write;
  if (after?.cancel?.state !== 'pending') return;
  const { calls, devices, endpoints, clock, random, log, sendersFor } = await services();
  if (tooOld(write.time, clock.now())) {
    log.error('cancel event too old; dropped', { callUuid });
    return;
  }
  const run = await runCancelJob(
    tenant,
    callUuid,
    {
      calls,
      devices,
      senders: await sendersFor(tenant),
      endpoints,
      clock,
      random,
      leaseMs: CANCEL_LEASE_MS,
      sendBudgetMs: CANCEL_BUDGET_MS,
    },
    MAX_WAIT_MS,
  );
  if (run.kind === 'busy') throw new Error('the cancel job is still held by another run');
  log.info('cancel pushes sent', {
    callUuid,
    reason: after.cancel.reason,
    sent: run.kind === 'sent' ? run.sent : 0,
  });
}
