import type { Clock } from '../core/clock';
import type { CallStore, DeviceStore, LongPolls } from '../core/ports';
import type { Provider, PushSender } from '../core/send/push';
import type { PushEndpoints } from '../core/render/incomingPush';

/** Where an event handler's log lines go (firebase-functions' logger when deployed). */
export interface EventLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What the triggers and the scheduled jobs run on: the stores (every call bounded by the event
 * budget), each tenant's senders, time and a log. functions/wiring/services.ts builds it for the
 * deployed functions; the simulation (test/sim) builds one per instance over its own stores and
 * providers, so it drives these same handlers.
 */
export interface EventServices {
  calls: CallStore;
  devices: DeviceStore;
  /** Whether a long-poll watches a call's answers (the answer trigger leaves them to it). */
  longPolls: Pick<LongPolls, 'watching'>;
  sendersFor: (tenant: string) => Promise<Record<Provider, PushSender>>;
  endpoints: PushEndpoints;
  /** Longest one fan-out may spend pushing, retries included. */
  sendBudgetMs: number;
  clock: Clock;
  /** In [0, 1): retry jitter and lease holder ids (Math.random; seeded in the simulation). */
  random: () => number;
  log: EventLog;
}
