import { onSchedule } from 'firebase-functions/v2/scheduler';
import { eventOptions } from '../config';
import { eventServices, getServices } from '../wiring/services';
import { runExpiryJob } from './runExpiry';

/** Every minute: expire calls past their deadline and sweep up after dead instances (runExpiryJob). */
export const expireCalls = onSchedule(
  { ...eventOptions({ sendsPushes: true }), schedule: 'every 1 minutes', retryCount: 0 },
  async () => {
    const [services, { maintenance }] = await Promise.all([eventServices(), getServices()]);
    await runExpiryJob(services, maintenance);
  },
);
