import { z } from 'zod';
import { callUuid } from '../../core/call/callUuid';
import { applyReceipt, asOf, type Answer } from '../../core/call/callState';
import { AppError } from '../../core/errors';
import type { Call } from '../../core/model';
import type { StoredAnswer } from '../../core/ports';
import { callIdSchema, choice, deviceIdSchema, tenantSchema } from '../../core/schemas';
import { validate } from '../../core/validate';
import { validBody } from '../body';
import { candidateTenants, requireUser } from '../identity';
import type { ApiContext, RouteHandler } from '../types';

const params = z.object({ call_id: callIdSchema });
const deviceBody = z.object({ device_id: deviceIdSchema, tenant: tenantSchema.optional() });
const answerBody = deviceBody.extend({ action: choice(['accept', 'decline']) });

/**
 * The call `uid` may act on with `deviceId`: in the tenant the request names (or the user's only
 * tenant), the user must be a member of the call's extension, and the device one of that
 * extension's, registered by this user. A device the PBX registered is the PBX's: no app user
 * acknowledges or answers for it, through this door or the rules'.
 */
async function callForDevice(
  ctx: ApiContext,
  uid: string,
  callId: string,
  deviceId: string,
  hint?: string,
): Promise<Call> {
  const [tenant] = await candidateTenants(ctx, uid, hint);
  const unknown = () =>
    new AppError('not_found', `No call ${callId} is known for your extensions.`);
  if (tenant === undefined) throw unknown();
  // The device's read needs only the tenant: it runs beside the call's, one round trip for both
  // on an answer's path. What it finds (or how it failed) counts only once the call is known to
  // be the user's, as if it were read after.
  const reading = ctx.devices.get(tenant, deviceId);
  reading.catch(() => undefined);
  const call = await ctx.calls.get(tenant, callUuid(tenant, callId));
  if (!call || !(await ctx.members.isMember(call.tenant, call.extension, uid))) throw unknown();
  const device = await reading;
  if (device?.extension !== call.extension || device.ownerUid !== uid) {
    throw new AppError(
      'permission_denied',
      `Device ${deviceId} is not one you registered on extension ${call.extension}.`,
    );
  }
  return call;
}

/**
 * The answer this device stored before, when this request is that same answer again: a retry
 * (docs/api.md tells apps to send a request answered 429 busy again, and the first try may have
 * stored the answer before the store ran out of time) gets the outcome. Any other answer from
 * the device is a conflict.
 */
async function sameAnswerAgain(
  ctx: ApiContext,
  call: { tenant: string; callUuid: string },
  answer: Answer,
): Promise<StoredAnswer> {
  const stored = await ctx.calls.getAnswer(call.tenant, call.callUuid, answer.deviceId);
  if (stored?.answer.action === answer.action && stored.answer.uid === answer.uid) return stored;
  throw new AppError('conflict', `Device ${answer.deviceId} has already answered this call.`);
}

/**
 * POST /v1/app/calls/{call_id}/answer: the same answer as the app's
 * Firestore write, settled at once through the same state machine.
 */
export const postAnswer: RouteHandler = async (req, rawParams, ctx) => {
  const uid = await requireUser(req, ctx);
  const { call_id } = validate(params, rawParams);
  const { action, device_id, tenant } = validBody(answerBody, req);
  const call = await callForDevice(ctx, uid, call_id, device_id, tenant);
  const answer = { action, deviceId: device_id, uid, answeredAt: ctx.clock.now() };
  const created = await ctx.calls.createAnswer(call.tenant, call.callUuid, answer, 'api');
  const again = created ? null : await sameAnswerAgain(ctx, call, answer);
  // A retry whose answer is settled already reads its outcome; no second transaction.
  const outcome =
    again?.outcome ??
    (await ctx.calls.settleAnswer(
      call.tenant,
      call.callUuid,
      again?.answer ?? answer,
      ctx.clock.now(),
    ));
  const now = await ctx.calls.get(call.tenant, call.callUuid);
  return {
    status: 200,
    body: {
      outcome: outcome === 'won' ? 'won' : 'late',
      status: asOf(now ?? call, ctx.clock.now()).status,
      call_uuid: call.callUuid,
    },
  };
};

/** POST /v1/app/calls/{call_id}/ack: the push reached the app. */
export const postAck: RouteHandler = async (req, rawParams, ctx) => {
  const uid = await requireUser(req, ctx);
  const { call_id } = validate(params, rawParams);
  const { device_id, tenant } = validBody(deviceBody, req);
  const call = await callForDevice(ctx, uid, call_id, device_id, tenant);
  await ctx.calls.createReceipt(call.tenant, call.callUuid, device_id, uid);
  const now = ctx.clock.now();
  await ctx.calls.transition(call.tenant, call.callUuid, (c) => applyReceipt(c, device_id, now));
  return {
    status: 200,
    body: { status: asOf(call, ctx.clock.now()).status, call_uuid: call.callUuid },
  };
};
