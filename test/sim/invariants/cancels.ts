import {
  CANCEL_BUDGET_MS,
  CANCEL_LEASE_MS,
  CANCEL_RETRY_MS,
} from '../../../functions/core/cancel/cancelJobState';
import type { SimCall, SimPhone } from '../world';
import type { Facts } from './facts';

/**
 * How soon a phone that rang gets its cancel, in virtual ms, once nothing fails any more.
 *
 * Owed while nothing fails (the call ended, or a late incoming push reached the phone, after
 * the calm and what it left behind): the write that owes it reaches the cancel trigger within the schedule's trigger
 * delay D (Eventarc's), which sends at once; a follow-up waits for the round being sent to
 * finish (a slow provider: 3 s) and for its own delivery (D again), or for pushes in flight to
 * land (the fan-out lease and IN_FLIGHT_MS, 5 s after the end). Hence 2·D + CALM_SLACK_MS.
 *
 * Owed while things failed (or soon after): from the calm, a trigger run that failed waits for Eventarc's
 * backoff (10 s to 10 minutes), so the expiry job's sweeper, a minute apart, sends it once a
 * dead run's lease (15 s) has lapsed, and a round caught in flight may take its whole budget
 * (10 s): AFTER_STORM_BOUND_MS.
 *
 * A call that ran out its ring time ends when the expiry job next runs: one JOB_PERIOD_MS more.
 * When the schedule killed the run that took the cancel job, the next delivery of its event
 * (Eventarc's first retry, after 10 s) waits for its lease to lapse: CANCEL_LEASE_MS more.
 */
export const CALM_SLACK_MS = 5_000;
export const AFTER_STORM_BOUND_MS = 90_000;
export const JOB_PERIOD_MS = 60_000;

/** A phone that rang for a call, and what it is owed. */
export interface Owed {
  call: SimCall;
  phone: SimPhone;
  /** When the cancel became owed: the call's end, or the last incoming push's arrival. */
  at: number;
  /** When its cancel reached it (after that last incoming push), or null. */
  reachedAt: number | null;
  calm: boolean;
  /** What ended the call (a call that ended at its deadline is ended by the expiry job). */
  by: 'answer' | 'pbx' | 'deadline';
}

/**
 * The phones a call's cancel must reach: each phone an incoming push reached, unless its app
 * answered (it knows the outcome), it has no FCM token (iOS without one learns from its call
 * document), or its registration moved under it (unregistered, a new token, a change that was
 * not acknowledged).
 */
export function owedCancels(facts: Facts, call: SimCall): Owed[] {
  const { world } = facts;
  if (facts.expiresAt(call) === null) return [];
  const end = facts.end(call);
  const answered = facts.answered(call);
  const incoming = facts.pushes(call, 'incoming_call');
  const cancels = facts.pushes(call, 'call_cancelled');
  const owed: Owed[] = [];
  for (const phone of world.phones) {
    const rang = incoming.filter((r) => r.reached && r.phone === phone.index);
    if (rang.length === 0 || answered.has(phone.index) || !phone.fcmToken) continue;
    const churn = world.churn.filter((c) => c.phone === phone.index);
    if (churn.some((c) => c.kind === 'rotate' || c.kind === 'delete' || c.ackAt === null)) continue;
    const last = Math.max(...rang.map((r) => r.arrival));
    const at = Math.max(end.at, last);
    const reached = cancels
      .filter((c) => c.reached && c.phone === phone.index && c.start >= last)
      .map((c) => c.arrival);
    owed.push({
      call,
      phone,
      at,
      reachedAt: reached.length > 0 ? Math.min(...reached) : null,
      // Past what the faults left behind: a lease a dead run took (15 s), a round in flight
      // that waits on a provider holding its request (its 10 s budget).
      calm: at >= world.calmAt + CANCEL_LEASE_MS + CANCEL_BUDGET_MS,
      by: end.by,
    });
  }
  return owed;
}

/**
 * Every phone that may have rung is told to stop. Each phone an incoming push reached gets a
 * cancel push that reaches it after that push (so on Android the last message under the
 * call's collapse key is a cancel): within 2·D + CALM_SLACK_MS of being owed when nothing fails, and
 * within AFTER_STORM_BOUND_MS of the calm otherwise, as long as the faults stopped early enough
 * for a round to be retried before the cancel job stops retrying (the ring deadline, or one
 * round's budget after a call that ended there). A call that ended at its deadline gets one
 * more job period.
 */
export function everyRungPhoneStopped(facts: Facts, call: SimCall, out: string[]): void {
  const expiresAt = facts.expiresAt(call);
  if (expiresAt === null) return;
  const end = facts.end(call);
  // A round in flight when the faults stop may take its whole budget (a request the provider
  // holds); its retry must still fall before the job stops retrying.
  const retryUntil = Math.max(expiresAt, end.at + CANCEL_BUDGET_MS);
  if (facts.world.calmAt >= retryUntil - CANCEL_BUDGET_MS - CANCEL_RETRY_MS) return;
  const period = end.by === 'deadline' ? JOB_PERIOD_MS : 0;
  const holderDied = facts.world.holderCrashes.has(call.callUuid) ? CANCEL_LEASE_MS : 0;
  const calmBound = 2 * facts.world.scenario.triggerDelayMax + CALM_SLACK_MS + holderDied;
  for (const owed of owedCancels(facts, call)) {
    const bound = owed.calm
      ? owed.at + calmBound + period
      : facts.world.calmAt + AFTER_STORM_BOUND_MS + period;
    if (owed.reachedAt === null)
      out.push(
        `${call.callId}: ${owed.phone.deviceId} rang (until ${owed.at}) and no cancel reached it after`,
      );
    else if (owed.reachedAt > bound)
      out.push(
        `${call.callId}: ${owed.phone.deviceId}'s cancel reached it at ${owed.reachedAt}, after ${bound}`,
      );
  }
}

/**
 * Late incoming pushes (started after the call stopped ringing: the check-then-send race) are
 * bounded: a run starts at most one per phone and call, since it checks the call before every
 * retry, and the next check sees the end.
 */
export function lateBounded(facts: Facts, call: SimCall, out: string[]): void {
  const { at: end } = facts.end(call);
  const late = facts
    .pushes(call, 'incoming_call')
    .filter((r) => r.start >= end && r.outcome !== 'not_sent');
  const seen = new Set<string>();
  for (const push of late) {
    const key = `${push.runId}/${push.phone}`;
    if (seen.has(key))
      out.push(
        `${call.callId}: run ${push.runId} started two incoming pushes to d${push.phone} after the end`,
      );
    seen.add(key);
  }
}
