import { sendCancels } from '../core/cancelCall';
import { CANCEL_LEASE_MS } from '../core/cancelJob';
import type { Tenant } from '../store/tenantDirectory';
import type { ApiContext } from './types';

/**
 * Sends the cancel pushes of a call this request has just ended, inside the request, instead of
 * leaving them to the call trigger: the platform does not bound when a Firestore trigger runs
 * (seconds on a cold or busy instance, and the emulators run a function's events one at a
 * time), and this is what a user waits on from hang-up or an answer elsewhere to silent phones.
 *
 * One run of the cancel job under its lease, as a trigger run would do (core/cancelCall.ts): the
 * write that ended the call fires the trigger all the same, and it stays the durable backstop.
 * It finds the job sent; or held by this request, and waits; or held by an instance that died
 * here, and takes it over when the lease lapses; and it sends the follow-up rounds. So a failure
 * here loses nothing and is only reported; the request's own answer does not depend on it.
 */
export async function cancelNow(ctx: ApiContext, tenant: Tenant, callUuid: string) {
  try {
    await sendCancels(tenant.id, callUuid, {
      calls: ctx.calls,
      devices: ctx.devices,
      senders: await ctx.sendersFor(tenant),
      endpoints: ctx.endpoints,
      clock: ctx.clock,
      random: ctx.random,
      leaseMs: CANCEL_LEASE_MS,
      // The ring path's budget: the request that waits is the PBX's or the app's.
      sendBudgetMs: ctx.sendBudgetMs,
    });
  } catch (err) {
    ctx.reportError(err);
  }
}
