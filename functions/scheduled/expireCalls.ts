import { onSchedule } from 'firebase-functions/v2/scheduler';
import { eventOptions } from '../config';
import { CANCEL_BUDGET_MS, CANCEL_LEASE_MS } from '../core/cancelJob';
import { expireRingingCalls, sweep } from '../core/maintenance';
import { firestore } from '../store/firestore';
import { Maintenance } from '../store/maintenance';
import { getServices } from '../wiring';

/**
 * Every minute: calls ringing past their deadline become `missed` (a backstop to the PBX's
 * cancel), and the sweeper finishes what a dead instance left: pushes never sent for a call
 * still ringing, and cancel jobs left pending or held by a run that died.
 */
export const expireCalls = onSchedule(
  { ...eventOptions({ sendsPushes: true }), schedule: 'every 1 minutes', retryCount: 0 },
  async () => {
    const [services, db] = await Promise.all([getServices(), firestore()]);
    const maintenance = new Maintenance(db);
    const { calls, devices } = services.events;
    const now = services.clock.now();
    const expired = await expireRingingCalls(
      { calls, ringingPastDeadline: (at) => maintenance.ringingPastDeadline(at) },
      now,
    );
    const common = {
      calls,
      devices,
      endpoints: services.endpoints,
      clock: services.clock,
      sendBudgetMs: services.sendBudgetMs,
    };
    const swept = await sweep(
      {
        ring: common,
        cancel: { ...common, leaseMs: CANCEL_LEASE_MS, sendBudgetMs: CANCEL_BUDGET_MS },
        sendersFor: async (tenant) => services.sendersFor(await services.tenants.tenant(tenant)),
        ringingCalls: (at) => maintenance.ringingCalls(at),
        openCancelJobs: () => maintenance.openCancelJobs(),
      },
      now,
    );
    const { logger } = await import('firebase-functions/v2');
    logger.info('expired ringing calls', { expired, ...swept });
  },
);
