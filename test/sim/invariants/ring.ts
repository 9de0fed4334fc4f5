import { FANOUT_LEASE_MS } from '../../../functions/core/ring/fanOutLease';
import { collapseId } from '../../../functions/core/render/incomingPush';
import type { Call } from '../../../functions/core/model';
import type { SimCall } from '../world';
import type { Facts } from './facts';

/** A duplicate of a call with nothing left to push answers within a few store round trips. */
const PROMPT_MS = 1_000;
/** A resumer needs this long before the deadline to take the lease and push. */
const RESUME_MARGIN_MS = 1_000;
/** What a clean run may still take, after it ends, to start a push another clean run holds. */
const PUSH_SLACK_MS = 500;

/**
 * Every phone rings. A phone registered and reachable when the call starts gets an incoming
 * push attempt (a request the sender made) for it:
 * - before the PBX hears `ringing` (unless that answer comes at the deadline, or from a
 *   duplicate while another run held the call's fan-out lease: that run is sending it, and the
 *   next rule holds it, or the retry after it, to the push);
 * - by the end of any run that could push it and ran clean (no fault, no store error, alive):
 *   the request that created the call, a PBX retry, or an expiry-job run, once every lease a
 *   troubled run could hold had lapsed, while the call still rang with time left. Only a run
 *   that was itself hit by a fault may leave a phone unpushed.
 */
export function everyPhoneRings(facts: Facts, call: SimCall, out: string[]): void {
  const { world } = facts;
  const expiresAt = facts.expiresAt(call);
  if (expiresAt === null) return;
  const pushes = facts.pushes(call, 'incoming_call');
  const attempted = (phone: number, by: number) =>
    pushes.some((r) => r.phone === phone && r.start <= by);
  const required = facts.required(call);
  const leases = fanOutLeases(facts, call);
  const heldByAnother = (runId: number, at: number) =>
    leases.some((l) => l.runId !== runId && l.at <= at && at < l.until);
  for (const reply of world.pbxReplies) {
    if (reply.callUuid !== call.callUuid || reply.route !== 'post') continue;
    if (reply.body.status !== 'ringing' || reply.at >= expiresAt - RESUME_MARGIN_MS - facts.skew)
      continue;
    if (heldByAnother(reply.runId, reply.at)) continue;
    for (const phone of required) {
      if (!attempted(phone.index, reply.at))
        out.push(
          `${call.callId}: PBX told ringing at ${reply.at} before ${phone.deviceId} was pushed`,
        );
    }
  }
  const { at: end } = facts.end(call);
  const until = Math.min(end, expiresAt) - RESUME_MARGIN_MS - facts.skew;
  const pushers = world.runs
    .filter((r) => (r.kind === 'pbx_post' && r.callUuid === call.callUuid) || r.kind === 'job')
    .sort((a, b) => a.startedAt - b.startedAt);
  // A job run sees the call only once it exists.
  const created = facts
    .landedOn(call, 'calls', 'createOnce')
    .find((l) => (l.result as { created: boolean }).created)?.at;
  if (created === undefined) return;
  for (const run of pushers) {
    if (run.startedAt >= until || run.troubledAt !== Infinity) continue;
    if (run.kind === 'job' && run.startedAt <= created) continue;
    // Any lease a troubled run took has lapsed, and what it had in flight has landed.
    const lapsed = pushers
      .filter((r) => r.startedAt < run.startedAt && r.troubledAt !== Infinity)
      .every((r) => run.startedAt >= r.stoppedAt + FANOUT_LEASE_MS + facts.skew);
    if (!lapsed) continue;
    const by = run.stoppedAt + PUSH_SLACK_MS;
    for (const phone of required) {
      if (!attempted(phone.index, by))
        out.push(
          `${call.callId}: ${phone.deviceId} never pushed though run ${run.id} (${run.kind}) ran clean at ${run.startedAt}`,
        );
    }
  }
}

/** Who held the call's fan-out lease, and until when: each create, take-over and renewal. */
function fanOutLeases(facts: Facts, call: SimCall): { runId: number; at: number; until: number }[] {
  const created = facts.landedOn(call, 'calls', 'createOnce').flatMap((l) => {
    const result = l.result as { call: Call; created: boolean };
    const until = result.created ? result.call.fanOut?.leaseUntil : undefined;
    return until === undefined ? [] : [{ runId: l.runId, at: l.at, until }];
  });
  const moved = facts.landedOn(call, 'calls', 'transition').flatMap((l) => {
    const until = (l.result as { patch?: Partial<Call> | null } | null)?.patch?.fanOut?.leaseUntil;
    return until === undefined ? [] : [{ runId: l.runId, at: l.at, until }];
  });
  return [...created, ...moved];
}

/**
 * No phone starts ringing after the call is over: no incoming push starts at or after the
 * deadline (as far as the clocks agree), and each one is preceded, in the run that sends it,
 * by a store read that saw the call ringing, made after that run's previous push to the same
 * token. Every push names the call by its call_uuid and collapse id.
 */
export function checkedBeforeEachPush(facts: Facts, call: SimCall, out: string[]): void {
  const expiresAt = facts.expiresAt(call);
  if (expiresAt === null) return;
  const { world } = facts;
  const sends = facts.pushes(call, 'incoming_call');
  for (const [i, send] of sends.entries()) {
    if (send.start >= expiresAt + facts.skew)
      out.push(
        `${call.callId}: incoming push to ${send.token} at ${send.start}, after the deadline`,
      );
    const previous = sends
      .slice(0, i)
      .filter((s) => s.runId === send.runId && s.token === send.token)
      .reduce((at, s) => Math.max(at, s.start), -Infinity);
    const checked = world.observations.some(
      (o) =>
        o.runId === send.runId &&
        o.callUuid === call.callUuid &&
        o.status === 'ringing' &&
        o.returnedAt <= send.start &&
        o.at >= previous,
    );
    if (!checked)
      out.push(`${call.callId}: run ${send.runId} pushed ${send.token} at ${send.start} unchecked`);
    const collapse = collapseId({ callUuid: call.callUuid } as Parameters<typeof collapseId>[0]);
    if (send.collapse !== collapse)
      out.push(`${call.callId}: incoming push with collapse id ${send.collapse}`);
  }
}

/**
 * What the PBX hears about the pushes is true: a POST's `pushed` never counts more phones than
 * a push reached; and a retried or concurrent duplicate answers within a few store round trips
 * when every request before it finished cleanly (nothing left to push, nobody to wait for).
 */
export function pbxToldTheTruth(facts: Facts, call: SimCall, out: string[]): void {
  const { world } = facts;
  const reached = facts.pushes(call, 'incoming_call').filter((r) => r.reached);
  const posts = world.runs.filter((r) => r.kind === 'pbx_post' && r.callUuid === call.callUuid);
  for (const reply of world.pbxReplies) {
    if (reply.callUuid !== call.callUuid || reply.route !== 'post') continue;
    if (reply.httpStatus === null || reply.httpStatus >= 300) continue;
    const phones = new Set(reached.filter((r) => r.arrival <= reply.at).map((r) => r.phone));
    const pushed = Number(reply.body.pushed);
    if (pushed > phones.size)
      out.push(`${call.callId}: the PBX heard pushed=${pushed}, ${phones.size} phones reached`);
    const run = facts.run(reply.runId);
    if (!run || reply.httpStatus !== 200 || run.troubledAt !== Infinity) continue;
    const before = posts.filter((r) => r.startedAt < run.startedAt);
    const settled = before.every((r) => r.troubledAt === Infinity && r.stoppedAt <= run.startedAt);
    if (before.length > 0 && settled && reply.at > run.startedAt + PROMPT_MS)
      out.push(
        `${call.callId}: a duplicate waited ${reply.at - run.startedAt} ms with nothing left to push`,
      );
  }
}
