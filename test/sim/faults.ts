import type { FakeClock } from '../support/fakeClock';
import type { Rng } from './rng';

export type StoreFault = 'throw' | 'lost' | 'die_before' | 'die_after' | 'slow';
export type ProviderFault =
  | 'transient'
  | 'lost_reply'
  | 'timeout'
  | 'reset'
  | 'hang'
  /** Our sender failed before any request left (an access token it could not get). */
  | 'not_sent';
/**
 * Instances killed: at a provider send (before or after the request left), in a sleep, the one
 * serving a call's first POST (at a random time, or as its pushes leave), the one that just took
 * a cancel job.
 */
export type CrashFault =
  'send_before' | 'send_after' | 'sleep' | 'creator' | 'creator_in_flight' | 'cancel_holder';

const STORE_FAULTS: readonly StoreFault[] = ['throw', 'lost', 'die_before', 'die_after', 'slow'];
const PROVIDER_FAULTS: readonly ProviderFault[] = [
  'transient',
  'lost_reply',
  'timeout',
  'reset',
  'hang',
  'not_sent',
];

/** What a simulation run injected, by kind, summed over its schedules. */
export interface FaultCounts {
  store: Record<StoreFault, number>;
  provider: Record<ProviderFault, number>;
  crash: Record<CrashFault, number>;
}

export const emptyCounts = (): FaultCounts => ({
  store: { throw: 0, lost: 0, die_before: 0, die_after: 0, slow: 0 },
  provider: { transient: 0, lost_reply: 0, timeout: 0, reset: 0, hang: 0, not_sent: 0 },
  crash: {
    send_before: 0,
    send_after: 0,
    sleep: 0,
    creator: 0,
    creator_in_flight: 0,
    cancel_holder: 0,
  },
});

export function addCounts(into: FaultCounts, from: FaultCounts): void {
  for (const group of ['store', 'provider', 'crash'] as const) {
    const target = into[group] as Record<string, number>;
    for (const [k, v] of Object.entries(from[group])) target[k] = (target[k] ?? 0) + v;
  }
}

/** Decides, call by call, what fails and how, until the faults stop (`calmAt`). */
export class FaultPlan {
  /** Virtual time from which nothing fails any more. */
  calmAt: number;

  constructor(
    private readonly clock: FakeClock,
    private readonly rng: Rng,
    private readonly rates: { store: number; provider: number; crash: number },
    readonly counts: FaultCounts,
    calmAt: number,
  ) {
    this.calmAt = calmAt;
  }

  get active(): boolean {
    return this.clock.now() < this.calmAt;
  }

  store(): StoreFault | null {
    if (!this.active || !this.rng.chance(this.rates.store)) return null;
    const fault = this.rng.pick(STORE_FAULTS);
    this.counts.store[fault] += 1;
    return fault;
  }

  provider(): ProviderFault | null {
    if (!this.active || !this.rng.chance(this.rates.provider)) return null;
    const fault = this.rng.pick(PROVIDER_FAULTS);
    this.counts.provider[fault] += 1;
    return fault;
  }

  crash(at: 'send_before' | 'send_after' | 'sleep'): boolean {
    if (!this.active || !this.rng.chance(this.rates.crash)) return false;
    this.counts.crash[at] += 1;
    return true;
  }
}
