import { CANCEL_BUDGET_MS, CANCEL_LEASE_MS } from '../core/cancel/cancelJobState';
import { expireRingingCalls, sweep } from '../core/upkeep/maintenance';
import type { Maintenance } from '../store/maintenance';
import type { EventServices } from '../triggers/eventServices';

/** The queries the expiry job runs across every tenant (store/maintenance.ts). */
export type ExpiryQueries = Pick<
  Maintenance,
  'ringingPastDeadline' | 'ringingCalls' | 'openCancelJobs'
>;

/**
 * One run of the expiry job: calls ringing past their deadline become `missed` (a backstop to
 * the PBX's cancel), and the sweeper finishes what a dead instance left: pushes never sent for
 * a call still ringing, and cancel jobs left pending or held by a run that died.
 */
export async function runExpiryJob(services: EventServices, queries: ExpiryQueries) {
  const { calls, devices, clock, endpoints, sendBudgetMs, random } = services;
  const now = clock.now();
  const expired = await expireRingingCalls(
    { calls, ringingPastDeadline: (at) => queries.ringingPastDeadline(at) },
    now,
  );
  const common = { calls, devices, endpoints, clock, sendBudgetMs, random };
  const swept = await sweep(
    {
      ring: common,
      cancel: { ...common, leaseMs: CANCEL_LEASE_MS, sendBudgetMs: CANCEL_BUDGET_MS },
      sendersFor: (tenant) => services.sendersFor(tenant),
      ringingCalls: (at) => queries.ringingCalls(at),
      openCancelJobs: () => queries.openCancelJobs(),
    },
    now,
  );
  services.log.info('expired ringing calls', { expired, ...swept });
  return { expired, ...swept };
}
