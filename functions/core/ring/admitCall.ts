import { limitError } from '../errors';
import { limitFor, type TenantLimits } from '../limits';
import type { CallCounts, CallStore } from '../ports';

export interface AdmissionDeps {
  counts: CallCounts;
  calls: Pick<CallStore, 'get'>;
}

/**
 * The tenant-wide call limits, counted across every instance over the tenant's own call
 * records: calls created in the last second, and calls ringing now. Two count queries, no
 * counter document: nothing every call of a tenant writes to, so no hot document and no
 * contention (a count is a read). The count and the create are not one transaction, so calls
 * arriving within one round trip of each other may pass the limit together: it holds to within
 * the requests in flight. A call already created (a PBX retry) always passes: the PBX must get
 * its call back, not a 429.
 */
export async function admitCall(
  deps: AdmissionDeps,
  tenant: { id: string; limits?: TenantLimits },
  callUuid: string,
  now: number,
): Promise<void> {
  const perSecond = limitFor('calls_per_second', tenant);
  const inFlight = limitFor('calls_in_flight', tenant);
  const [recent, ringing] = await Promise.all([
    deps.counts.createdSince(tenant.id, now - 1_000),
    deps.counts.ringing(tenant.id, now),
  ]);
  if (recent < perSecond && ringing < inFlight) return;
  if (await deps.calls.get(tenant.id, callUuid)) return;
  if (recent >= perSecond) {
    throw limitError(
      'calls_per_second',
      429,
      `More than ${perSecond} new calls in the last second for this tenant; ring this one directly.`,
    );
  }
  throw limitError(
    'calls_in_flight',
    429,
    `${inFlight} calls of this tenant are ringing already; ring this one directly.`,
  );
}
