import { z } from 'zod';
import { callUuid } from '../../core/callUuid';
import { AppError } from '../../core/errors';
import { startIncomingCall } from '../../core/incomingCall';
import { callIdSchema, incomingCallSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { requireTenant } from '../apiKey';
import { parseBody } from '../body';
import type { RouteHandler } from '../types';

const callParams = z.object({ call_id: callIdSchema });

/** POST /v1/calls: a call arrived for an extension; ring every device. */
export const postCall: RouteHandler = async (req, _params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const request = validate(incomingCallSchema, parseBody(req.body, req.headers['content-type']));
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

/** GET /v1/calls/{call_id}: the call's state. */
export const getCall: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx);
  const { call_id } = validate(callParams, params);
  const call = await ctx.calls.get(tenant.id, callUuid(tenant.id, call_id));
  if (!call) throw new AppError('not_found', `No call ${call_id} is known.`);
  return {
    status: 200,
    body: {
      status: call.status,
      call_id: call.callId,
      call_uuid: call.callUuid,
      extension: call.extension,
      devices: call.devices,
      pushed: call.pushed,
      ...(call.answeredBy ? { answered_by: call.answeredBy } : {}),
      expires_at: new Date(call.expiresAt).toISOString(),
    },
  };
};
