import { z } from 'zod';
import { callUuid } from '../../core/call/callUuid';
import {
  applyExpiry,
  applyPbxCancel,
  asOf,
  pastDeadline,
  PBX_CANCEL_REASONS,
} from '../../core/call/callState';
import { admitCall } from '../../core/ring/admitCall';
import { defaultDeviceCaps } from '../../core/devices/deviceAccess';
import { AppError, limitError } from '../../core/errors';
import { limitFor } from '../../core/limits';
import { startIncomingCall } from '../../core/ring/incomingCall';
import { callView } from '../../core/call/callView';
import type { Call } from '../../core/model';
import { applyPatch } from '../../core/call/patch';
import { callIdSchema, choice, emptyAsUndefined, incomingCallSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { authenticatePbx, requireTenant } from '../apiKey';
import { validBody } from '../body';
import { answersJson } from '../negotiate';
import type { Tenant } from '../../core/ports';
import type { ApiContext, ApiRequest, ApiResponse, RouteHandler } from '../types';

const callParams = z.object({ call_id: callIdSchema });
/** Longest a PBX may hold GET /v1/calls/{id}?wait=N open. */
export const MAX_WAIT_SECONDS = 25;
/**
 * How long a long-poll leaves an answer created before it was held to the answer's own trigger
 * (which settles it at once: it finds no long-poll held before the answer), before settling it
 * itself.
 */
export const EXISTING_ANSWER_GRACE_MS = 1_000;
const waitQuery = z.object({
  wait: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: `must be 0 to ${MAX_WAIT_SECONDS} seconds` })
      .int(`must be 0 to ${MAX_WAIT_SECONDS} seconds`)
      .min(0, `must be 0 to ${MAX_WAIT_SECONDS} seconds`)
      .max(MAX_WAIT_SECONDS, `must be 0 to ${MAX_WAIT_SECONDS} seconds`)
      .default(0),
  ),
});

async function findCall(ctx: ApiContext, tenant: string, callId: string): Promise<Call> {
  const call = await ctx.calls.get(tenant, callUuid(tenant, callId));
  if (!call) throw new AppError('not_found', `No call ${callId} is known.`);
  return call;
}

/** POST /v1/calls: a call arrived for an extension; ring every device. */
export const postCall: RouteHandler = async (req, _params, ctx) => {
  const { tenant, single } = await authenticatePbx(req, ctx, true);
  const request = validBody(incomingCallSchema, req);
  if (!ctx.callRate.allow(`${tenant.id}\u0000${request.to}`, request.call_id, ctx.clock.now())) {
    throw limitError(
      'calls_per_extension_per_minute',
      429,
      `Too many calls to extension ${request.to}; try again in a minute.`,
      60,
    );
  }
  const uuid = callUuid(tenant.id, request.call_id);
  const { duplicate, ...result } = await startIncomingCall(tenant.id, request, {
    calls: ctx.calls,
    devices: ctx.devices,
    senders: await ctx.sendersFor(tenant),
    endpoints: ctx.endpoints,
    sendBudgetMs: ctx.sendBudgetMs,
    clock: ctx.clock,
    caps: defaultDeviceCaps(tenant),
    // Beside the read of the extension's devices: no round trip of their own on the ring path.
    admit: async () => {
      await Promise.all([
        single(),
        admitCall({ counts: ctx.callCounts, calls: ctx.calls }, tenant, uuid, ctx.clock.now()),
      ]);
    },
    random: ctx.random,
    extensions: ctx.extensions,
  });
  return { status: duplicate ? 200 : 201, body: { ...result } };
};

/**
/**
 * A call found ringing past its deadline: writes `missed` now (the cancel pushes follow from the
 * call trigger) rather than leaving it to the deadline task or the minute job. The answer does not
 * depend on the write: the call is missed either way (asOf), and a write that fails is finished by
 * the task or the job. An answer that won just before the deadline is what the write returns.
 */
async function expireIfDue(ctx: ApiContext, call: Call): Promise<Call> {
  const now = ctx.clock.now();
  if (!pastDeadline(call, now)) return call;
  try {
    const result = await ctx.calls.transition(call.tenant, call.callUuid, (c) =>
      applyExpiry(c, now),
    );
    return asOf(result?.call ?? call, now);
  } catch (err) {
    ctx.reportError(err);
    return asOf(call, now);
  }
}

/**
 * The call's state. With `wait`, a ringing call holds the request until its state changes (a
 * Firestore listener), its ring time ends, or `wait` seconds pass: the dialplan long-polls
 * instead of polling. Each long-poll counts against the tenant's long_polls limit while held.
 */
async function followCall(
  req: ApiRequest,
  tenant: Tenant,
  callId: string,
  wait: number,
  ctx: ApiContext,
): Promise<ApiResponse> {
  let call = await findCall(ctx, tenant.id, callId);
  const left = call.expiresAt - ctx.clock.now();
  if (call.status === 'ringing' && wait > 0 && left > 0) {
    const limit = limitFor('long_polls', tenant);
    const held = Math.min(wait * 1000, left);
    const poll = await ctx.longPolls.hold(tenant.id, call.callUuid, limit, ctx.clock.now(), held);
    if (!poll) {
      throw limitError(
        'long_polls',
        429,
        `This tenant holds ${limit} long-polls open already; poll without wait, or wait for one to end.`,
      );
    }
    // An answer the app wrote through Firestore is settled here as soon as it is seen, rather
    // than when its trigger runs (seconds on a cold or busy instance). Who settles it at once is
    // decided by the database's clock, the same way on both sides: an answer created after this
    // long-poll was held is left to it by its trigger (LongPolls.watching), so it is settled here
    // at once; one created before is settled by its trigger whenever it runs, and here only if it
    // still is not a moment later. One transaction on the call, not two at once: two cost both
    // seconds on the emulator (scripts/contention-probe.mjs).
    // The answer route's own answers are not watched: that route settles them in its request,
    // and a second transaction on the same call would only contend with it.
    const uuid = call.callUuid;
    const stopped = new AbortController();
    const stopAnswers = ctx.calls.watchAnswers(tenant.id, uuid, (answer, createdAt) => {
      void (
        createdAt > poll.heldAt
          ? Promise.resolve()
          : ctx.clock.sleep(EXISTING_ANSWER_GRACE_MS, stopped.signal)
      )
        .then(() => {
          if (stopped.signal.aborted) return;
          return ctx.calls.settleAnswer(tenant.id, uuid, answer, ctx.clock.now());
        })
        .catch(() => undefined);
    });
    try {
      call =
        (await ctx.calls.waitFor(tenant.id, uuid, (c) => c.status !== 'ringing', held)) ?? call;
    } finally {
      stopped.abort();
      stopAnswers();
      // Best effort: a long-poll whose record stays stops counting at its end anyway.
      await poll.end().catch(() => undefined);
    }
  }
  call = await expireIfDue(ctx, call);
  return {
    status: 200,
    body: callView(call, answersJson(req.headers.accept, req.headers['content-type'])),
  };
}

/** GET /v1/calls/{call_id}[?wait=N]: the call's state, long-polled with wait. */
export const getCall: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
  const { call_id } = validate(callParams, params);
  const { wait } = validate(waitQuery, { wait: req.query.get('wait') ?? undefined });
  return followCall(req, tenant, call_id, wait, ctx);
};

/**
 * POST /v1/calls/{call_id}/wait: the same, with `wait` in a form body, for a PBX that signs its
 * requests in the body (the Asterisk include: CURL() with a body is a POST).
 */
export const postWait: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
  const { call_id } = validate(callParams, params);
  const { wait } = validBody(waitQuery, req);
  return followCall(req, tenant, call_id, wait, ctx);
};

const cancelBody = z.object({ reason: choice(PBX_CANCEL_REASONS).default('hangup') });

/** POST /v1/calls/{call_id}/cancel: the caller hung up (or the PBX stopped the call). Idempotent. */
export const cancelCall: RouteHandler = async (req, params, ctx) => {
  const tenant = await requireTenant(req, ctx, true);
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
  const status = applyPatch(result.call, result.patch).status;
  return {
    status: 200,
    body: {
      status,
      call_id,
      call_uuid: result.call.callUuid,
      // Past the deadline the call had already ended (missed) before this cancel came.
      cancelled: result.patch !== null && !pastDeadline(result.call, now),
    },
  };
};
