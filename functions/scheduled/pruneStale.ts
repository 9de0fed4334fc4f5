import { onSchedule } from 'firebase-functions/v2/scheduler';
import { CALL_RETENTION_DAYS, STALE_DEVICE_DAYS, eventOptions } from '../config';
import { retentionCutoffs } from '../core/upkeep/maintenance';
import { getServices } from '../wiring/services';

/**
 * Daily: devices whose tokens were not refreshed for STALE_DEVICE_DAYS are
 * deleted (FCM calls such tokens stale), and calls older than
 * CALL_RETENTION_DAYS go, a backstop to the TTL policy on `purgeAt`.
 */
export const pruneStale = onSchedule(
  {
    ...eventOptions({ sendsPushes: false }),
    schedule: 'every day 03:30',
    timeZone: 'Etc/UTC',
    retryCount: 1,
  },
  async () => {
    const { maintenance } = await getServices();
    const cutoffs = retentionCutoffs(
      Date.now(),
      STALE_DEVICE_DAYS.value(),
      CALL_RETENTION_DAYS.value(),
    );
    const devices = await maintenance.deleteStaleDevices(cutoffs.devicesBefore);
    const calls = await maintenance.deleteOldCalls(cutoffs.callsBefore);
    const { logger } = await import('firebase-functions/v2');
    logger.info('pruned stale data', { devices, calls });
  },
);
