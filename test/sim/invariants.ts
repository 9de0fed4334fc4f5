import { collapseId } from '../../functions/core/render';
import { DEFAULT_RETRY_POLICY } from '../../functions/core/retryPolicy';
import type { ActorLog } from './actors';
import { UUID } from './actors';
import type { ProviderRecord } from './providers';
import { TENANT, type SimDevice, type World } from './world';

/**
 * The promises callwake makes, checked after every schedule (faults healed, every retry run).
 * Each returns the violations it found, in words.
 */

const incoming = (r: ProviderRecord) => r.type === 'incoming_call' && r.callUuid === UUID;
const cancel = (r: ProviderRecord) => r.type === 'call_cancelled' && r.callUuid === UUID;

/**
 * 1. A call that rings gets an incoming push attempt on every device before its deadline. When
 * the PBX was told `ringing` (before the deadline), every device of the call had been tried by
 * then, unless it had no usable device record any more. A repeat carries the same call_uuid
 * and collapse id as the first.
 */
function everyDeviceRings(world: World, log: ActorLog, out: string[]): void {
  const call = world.calls.peek(TENANT, UUID);
  if (!call) return;
  for (const reply of log.replies) {
    const late = reply.at >= call.expiresAt - DEFAULT_RETRY_POLICY.minAttemptMs;
    if (reply.answer.status !== 'ringing' || late) continue;
    for (const [deviceId, delivery] of Object.entries(call.deliveries)) {
      if (delivery.reason === 'no_device') continue;
      const phone = world.phones.find((p) => p.device.deviceId === deviceId);
      const tried = world.providers.records.some(
        (r) => incoming(r) && r.token === phone?.pushToken && r.start <= reply.at,
      );
      if (!tried)
        out.push(
          `PBX told ringing at ${reply.at} (run ${reply.runId}) before ${deviceId} was pushed`,
        );
    }
  }
  for (const r of world.providers.records.filter(incoming)) {
    if (r.collapse !== collapseId(call)) out.push(`incoming push with collapse id ${r.collapse}`);
  }
}

/**
 * 2. No incoming push starts at or after the deadline, and each one is preceded, in the run
 * that sends it, by a store read that saw the call ringing, made after that run's previous
 * push to the same device (the check-then-send race this leaves is answered by 3).
 */
function checkedBeforeEachPush(world: World, out: string[]): void {
  const call = world.calls.peek(TENANT, UUID);
  if (!call) return;
  const sends = world.providers.records.filter(incoming);
  for (const [i, send] of sends.entries()) {
    if (send.start >= call.expiresAt) out.push(`incoming push to ${send.token} after the deadline`);
    const previous = sends
      .slice(0, i)
      .filter((s) => s.runId === send.runId && s.token === send.token)
      .reduce((at, s) => Math.max(at, s.start), -Infinity);
    const checked = world.observations.some(
      (o) =>
        o.runId === send.runId &&
        o.callUuid === UUID &&
        o.status === 'ringing' &&
        o.at < o.expiresAt &&
        o.returnedAt <= send.start &&
        o.at >= previous,
    );
    if (!checked) out.push(`run ${send.runId} pushed ${send.token} at ${send.start} unchecked`);
  }
}

/** Whether a device can be sent a cancel at all (an FCM token the provider still knows). */
const cancellable = (world: World, phone: SimDevice) =>
  phone.cancelToken !== undefined && world.tokens.get(phone.cancelToken)?.dead === false;

/**
 * 3. When the call ends other than by a device's own answer, every device an incoming push
 * reached gets a cancel push that starts after the last incoming push reached it: a push
 * that raced the end is followed by another cancel, so on Android the last message under
 * the call's collapse key is a cancel.
 */
function everyRungDeviceCancelled(world: World, out: string[]): void {
  const call = world.calls.peek(TENANT, UUID);
  if (!call || call.status === 'ringing') {
    if (call) out.push('the call still rings after the heal phase');
    return;
  }
  for (const phone of world.phones) {
    const { deviceId } = phone.device;
    // Its app wrote an answer: it knows the outcome from the answer's reply or document.
    if (world.calls.answer(UUID, deviceId) || !cancellable(world, phone)) continue;
    const reached = world.providers.records.filter(
      (r) =>
        incoming(r) && r.reached && (r.token === phone.pushToken || r.token === phone.cancelToken),
    );
    if (reached.length === 0) continue;
    const last = Math.max(...reached.map((r) => r.arrival));
    const stopped = world.providers.records.some(
      (r) => cancel(r) && r.token === phone.cancelToken && r.start >= last,
    );
    if (!stopped) out.push(`${deviceId} rang (last push at ${last}) and got no cancel after it`);
  }
}

/**
 * 4. Exactly one answer wins, none at or after the deadline, and every answer an app wrote is
 * settled (won or late). A push the phone got is never recorded as failed.
 */
function answersAndRecords(world: World, out: string[]): void {
  const call = world.calls.peek(TENANT, UUID);
  if (!call) return;
  const docs = [...world.calls.answers.values()];
  const won = docs.filter((a) => a.outcome === 'won');
  if (won.length > 1) out.push(`${won.length} answers won`);
  if ((call.status === 'accepted' || call.status === 'declined') && won.length !== 1) {
    out.push(`call ${call.status} with ${won.length} winning answers`);
  }
  if (call.status === 'accepted' && call.answeredBy !== won[0]?.deviceId) {
    out.push(`answeredBy ${call.answeredBy} but ${won[0]?.deviceId} won`);
  }
  for (const s of world.calls.settlements) {
    if (s.outcome === 'won' && s.at >= call.expiresAt) out.push(`an answer won after the deadline`);
  }
  for (const doc of docs) if (!doc.outcome) out.push(`answer of ${doc.deviceId} never settled`);
  for (const phone of world.phones) {
    const delivery = call.deliveries[phone.device.deviceId];
    const reached = world.providers.records.some(
      (r) => incoming(r) && r.reached && r.token === phone.pushToken,
    );
    if (reached && delivery && (delivery.status === 'failed' || delivery.status === 'dead_token')) {
      out.push(`${phone.device.deviceId} rang but its push is recorded ${delivery.status}`);
    }
  }
}

/**
 * 5. A token is dropped only on a permanent verdict in every environment it could belong to:
 * FCM UNREGISTERED; APNs 410, or BadDeviceToken from both production and sandbox.
 */
function tokensDroppedOnlyWhenDead(world: World, out: string[]): void {
  for (const drop of world.devices.dropped) {
    const verdicts = world.providers.records.filter((r) => r.token === drop.token);
    const unregistered = verdicts.some((r) => r.outcome === 'unregistered');
    const bad = new Set(verdicts.filter((r) => r.outcome === 'bad_device_token').map((r) => r.env));
    if (!unregistered && !(bad.has('production') && bad.has('sandbox'))) {
      out.push(`token of ${drop.deviceId} dropped without a permanent verdict`);
    }
    const truth = world.tokens.get(drop.token);
    if (truth && !truth.dead && (truth.provider === 'fcm' || truth.env !== undefined)) {
      out.push(`a live token of ${drop.deviceId} was dropped`);
    }
  }
}

export function violations(world: World, log: ActorLog): string[] {
  const out: string[] = [];
  everyDeviceRings(world, log, out);
  checkedBeforeEachPush(world, out);
  everyRungDeviceCancelled(world, out);
  answersAndRecords(world, out);
  tokensDroppedOnlyWhenDead(world, out);
  return out;
}
