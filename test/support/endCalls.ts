import type { Call } from '../../functions/core/model';
import { cancelsDone, db, type TestTenant } from './emulator';
import { api, retrying503 } from './http';
import { DRAIN_TIMEOUT_MS, eventually } from './wait';

/**
 * Ends every call of the tenant still ringing, as its PBX would, and waits until their cancels
 * (and any other open cancel job) are sent: a suite leaves no trigger behind it for the next.
 */
export async function endCalls(tenant: TestTenant): Promise<void> {
  for (const call of await ringingCalls(tenant.id)) {
    const path = `/v1/calls/${encodeURIComponent(call.callId)}/cancel`;
    // Idempotent: a call that ended meanwhile (answered, or at its deadline) answers 200 too.
    // Sent again after a 429 busy or a 503, as the API tells a PBX to.
    const reply = await retrying503(() => api('POST', path, { key: tenant.key }), 10);
    if (reply.status !== 200)
      throw new Error(`ending call ${call.callId}: HTTP ${reply.status} ${reply.text}`);
  }
  await eventually(
    async () => (await cancelsDone(tenant.id)) && (await ringingCalls(tenant.id)).length === 0,
    `the calls of tenant ${tenant.id} to end and their cancels to be sent`,
    DRAIN_TIMEOUT_MS,
  );
}

async function ringingCalls(tenant: string): Promise<Call[]> {
  const ringing = await db()
    .collection(`tenants/${tenant}/calls`)
    .where('status', '==', 'ringing')
    .get();
  return ringing.docs.map((d) => d.data() as Call);
}
