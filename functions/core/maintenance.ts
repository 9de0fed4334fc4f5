import { applyExpiry } from './callState';
import type { CallStore } from './ports';

export const DAY_MS = 86_400_000;

export interface ExpiryDeps {
  calls: Pick<CallStore, 'transition'>;
  ringingPastDeadline(now: number): Promise<{ tenant: string; callUuid: string }[]>;
}

/**
 * Ends every call still ringing past its deadline as `missed`; the call
 * trigger then sends the cancel pushes (reason `timeout`). A call answered
 * meanwhile is left alone: the transition re-checks inside its transaction.
 */
export async function expireRingingCalls(deps: ExpiryDeps, now: number): Promise<number> {
  const due = await deps.ringingPastDeadline(now);
  const results = await Promise.all(
    due.map(({ tenant, callUuid }) =>
      deps.calls.transition(tenant, callUuid, (call) => applyExpiry(call, now)),
    ),
  );
  return results.filter((r) => r?.patch).length;
}

/** Cut-off times for the daily clean-up. */
export function retentionCutoffs(now: number, staleDeviceDays: number, callRetentionDays: number) {
  return {
    devicesBefore: now - staleDeviceDays * DAY_MS,
    callsBefore: now - callRetentionDays * DAY_MS,
  };
}
