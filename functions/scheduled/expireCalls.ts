import { onSchedule } from 'firebase-functions/v2/scheduler';
import { expireRingingCalls } from '../core/maintenance';
import { firestore } from '../store/firestore';
import { Maintenance } from '../store/maintenance';
import { getServices } from '../wiring';

/** Every minute: calls ringing past their deadline become `missed` (a backstop to the PBX's cancel). */
export const expireCalls = onSchedule({ schedule: 'every 1 minutes', retryCount: 0 }, async () => {
  const [{ calls }, db] = await Promise.all([getServices(), firestore()]);
  const maintenance = new Maintenance(db);
  const expired = await expireRingingCalls(
    { calls, ringingPastDeadline: (now) => maintenance.ringingPastDeadline(now) },
    Date.now(),
  );
  const { logger } = await import('firebase-functions/v2');
  logger.info('expired ringing calls', { expired });
});
