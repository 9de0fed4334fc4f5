import type { Clock } from '../core/clock';
import type { CallStore, DeviceStore } from '../core/ports';
import { StoreBudget, withDeadline } from './deadline';

/**
 * The store budgets, in one place (the simulation runs the same numbers). Requests: 1.2 s per
 * call once warm, 10 s for a cold instance's first, 5 s for transactions (on one document they
 * queue behind each other's locks, which is not an outage; every route reads before its first
 * transaction, so an outage still answers 503 in under 2 s, and a transaction past its budget
 * answers 429 busy). Triggers and scheduled jobs: 5 s once warm, 15 s for a cold instance's
 * first; a trigger's first store call may be a transaction (settling an answer), so one past its
 * budget fails the run as unavailable, an outage.
 */
export const apiStoreBudget = () => new StoreBudget(1_200, 10_000, 5_000, true);
export const eventStoreBudget = () => new StoreBudget(5_000, 15_000);

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
