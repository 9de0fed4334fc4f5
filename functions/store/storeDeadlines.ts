import type { Clock } from '../core/clock';
import type { CallStore, DeviceStore } from '../core/ports';
import { withDeadline, type StoreBudget } from './deadline';

/**
 * Which store calls get which deadline, for every path that serves a request or an event:
 * all of them, transactions with the transaction budget; only the long-poll's listeners
 * (waitFor, watchAnswers) keep their own timeout. A path with no deadline hangs for as long as
 * Firestore's client retries.
 */
export function callsWithDeadline<T extends CallStore>(
  calls: T,
  budget: StoreBudget,
  clock?: Clock,
): T {
  return withDeadline(calls, budget, {
    except: ['waitFor', 'watchAnswers'],
    transactions: ['transition', 'settleAnswer'],
    ...(clock ? { clock } : {}),
  });
}

export function devicesWithDeadline<T extends DeviceStore>(
  devices: T,
  budget: StoreBudget,
  clock?: Clock,
): T {
  return withDeadline(devices, budget, {
    transactions: ['upsert', 'remove', 'dropToken', 'setApnsEnv'],
    ...(clock ? { clock } : {}),
  });
}
