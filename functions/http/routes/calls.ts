import { z } from 'zod';
import { callUuid } from '../../core/callUuid';
import { applyPbxCancel, PBX_CANCEL_REASONS } from '../../core/callState';
import { AppError } from '../../core/errors';
import { startIncomingCall } from '../../core/incomingCall';
import { callView } from '../../core/callView';
import type { Call } from '../../core/model';
import { callIdSchema, incomingCallSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import { validBody } from '../body';
import { wantsJson } from '../negotiate';
import type { ApiContext, RouteHandler } from '../types';

const callParams = z.object({ call_id: callIdSchema });
/** Longest a PBX may hold GET /v1/calls/{id}?wait=N open. */
export const MAX_WAIT_SECONDS = 25;
const waitQuery = z.object({
  wait: z.coerce
    .number({ error: `must be 0 to ${MAX_WAIT_SECONDS} seconds` })
    .int(`must be 0 to ${MAX_WAIT_SECONDS} seconds`)
    .min(0, `must be 0 to ${MAX_WAIT_SECONDS} seconds`)
    .max(MAX_WAIT_SECONDS, `must be 0 to ${MAX_WAIT_SECONDS} seconds`)
    .default(0),
});

async function findCall(ctx: ApiContext, tenant: string, callId: string): Promise<Call> {
  const call = await ctx.calls.get(tenant, callUuid(tenant, callId));
  if (!call) throw new AppError('not_found', `No call ${callId} is known.`);
  return call;
}

/** POST /v1/calls: a call arrived for an extension; ring every device. */
export const postCall: RouteHandler = async (req, _params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const request = validBody(incomingCallSchema, req);
  if (!ctx.callRate.allow(`${tenant.id}\u0000${request.to}`, request.call_id, ctx.clock.now())) {
    throw new AppError(
      'rate_limited',
      `Too many calls to extension ${request.to}; try again in a minute.`,
    );
  }
  const { duplicate, ...result } = await startIncomingCall(tenant.id, request, {
    calls: ctx.calls,
    devices: ctx.devices,
    senders: await ctx.sendersFor(tenant),
    endpoints: ctx.endpoints,
    sendBudgetMs: ctx.sendBudgetMs,
    clock: ctx.clock,
  });
  return { status: duplicate ? 200 : 201, body: { ...result } };
};

/**
 * GET /v1/calls/{call_id}[?wait=N]: the call's state. With wait, a ringing
 * call holds the request until its state changes (a Firestore listener) or N
 * seconds pass: the dialplan long-polls instead of polling.
 */
export const getCall: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { call_id } = validate(callParams, params);
  const { wait } = validate(waitQuery, { wait: req.query.get('wait') ?? undefined });
  let call = await findCall(ctx, tenant.id, call_id);
  if (call.status === 'ringing' && wait > 0) {
    call =
      (await ctx.calls.waitFor(
        tenant.id,
        call.callUuid,
        (c) => c.status !== 'ringing',
        wait * 1000,
      )) ?? call;
  }
  return { status: 200, body: { ...callView(call, wantsJson(req.headers.accept)) } };
};

const cancelBody = z.object({ reason: z.enum(PBX_CANCEL_REASONS).default('hangup') });

/** POST /v1/calls/{call_id}/cancel: the caller hung up (or the PBX stopped the call). Idempotent. */
export const cancelCall: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { call_id } = validate(callParams, params);
  const { reason } = validBody(cancelBody, req);
  // A read first: it fails within the short store deadline in an outage, where a transaction
  // has a longer one (it may queue behind another's lock).
  await findCall(ctx, tenant.id, call_id);
  const now = ctx.clock.now();
  const result = await ctx.calls.transition(tenant.id, callUuid(tenant.id, call_id), (call) =>
    applyPbxCancel(call, reason, now),
  );
  if (!result) throw new AppError('not_found', `No call ${call_id} is known.`);
  const status = result.patch ? 'cancelled' : result.call.status;
  return {
    status: 200,
    body: { status, call_id, call_uuid: result.call.callUuid, cancelled: result.patch !== null },
  };
};
