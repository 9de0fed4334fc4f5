import type { Device } from '../../functions/core/model';
import { apps } from './actors/apps';
import { callApi } from './actors/api';
import { churn } from './actors/churn';
import { jobs } from './actors/jobs';
import { pbx } from './actors/pbx';
import type { Backend } from './backend';
import type { FaultCounts } from './faults';
import { Facts, violations, type FinalView } from './invariants';
import { owedCancels } from './invariants/cancels';
import type { Scenario } from './scenario';
import { API_KEY, World } from './world';
import type { FakeClock } from '../support/fakeClock';

/** What one schedule did, for the totals a simulation run prints. */
export interface ScheduleStats {
  calls: number;
  runs: number;
  deaths: number;
  incomingPushes: number;
  /** Incoming pushes that reached a phone, and those beyond the first per phone and call. */
  reached: number;
  repeats: number;
  cancelPushes: number;
  cancelRepeats: number;
  /** Incoming pushes started after the call stopped ringing, and those that reached a phone. */
  latePushes: number;
  lateReached: number;
  envCorrections: number;
  tokensDropped: number;
  redeliveries: number;
  won: number;
  late: number;
  /** The apps' HTTPS answers: answered 2xx, 409, or refused another way (4xx). */
  httpsAnswered: number;
  httpsConflicts: number;
  httpsRefused: number;
  /**
   * Virtual ms from a cancel being owed to it reaching the phone: all; when nothing failed, for
   * calls ended by an answer or the PBX; and for calls that ran out their ring time.
   */
  cancelLatency: number[];
  calmCancelLatency: number[];
  deadlineCancelLatency: number[];
}

export const zeroStats = (): ScheduleStats => ({
  calls: 0,
  runs: 0,
  deaths: 0,
  incomingPushes: 0,
  reached: 0,
  repeats: 0,
  cancelPushes: 0,
  cancelRepeats: 0,
  latePushes: 0,
  lateReached: 0,
  envCorrections: 0,
  tokensDropped: 0,
  redeliveries: 0,
  won: 0,
  late: 0,
  httpsAnswered: 0,
  httpsConflicts: 0,
  httpsRefused: 0,
  cancelLatency: [],
  calmCancelLatency: [],
  deadlineCancelLatency: [],
});

export interface SimulateOptions {
  backend: (clock: FakeClock) => Backend;
  tenant: string;
}

/** What the PBX, the apps and the registry show once everything has settled. */
async function finalViews(world: World): Promise<FinalView> {
  const final: FinalView = { calls: new Map(), answers: new Map(), devices: new Map() };
  for (const call of world.calls) {
    const reply = await callApi(
      world,
      'final_get',
      call.callUuid,
      {
        method: 'GET',
        path: `/v1/calls/${encodeURIComponent(call.callId)}`,
        headers: { authorization: `Bearer ${API_KEY}`, accept: 'application/json' },
      },
      60_000,
    );
    final.calls.set(call.callUuid, reply.httpStatus === 200 ? reply.body : null);
    for (const phone of world.phones) {
      final.answers.set(
        `${call.callUuid}/${phone.index}`,
        await world.answerOutcome(call.callUuid, phone),
      );
    }
  }
  for (const phone of world.phones) {
    final.devices.set(phone.index, (await world.peekDevice(phone)) satisfies Device | null);
  }
  return final;
}

function statsOf(facts: Facts): ScheduleStats {
  const { world } = facts;
  const stats = zeroStats();
  stats.calls = world.calls.length;
  stats.runs = world.runs.length;
  stats.deaths = world.runs.filter((r) => r.isDead()).length;
  stats.redeliveries = world.eventarc.redeliveries;
  stats.envCorrections = world.landed.filter((l) => l.method === 'setApnsEnv').length;
  stats.tokensDropped = world.landed.filter((l) => l.method === 'dropToken').length;
  for (const told of world.appAnswers) {
    const status = told.httpStatus;
    if (status === undefined || status >= 500) continue;
    if (status < 300) stats.httpsAnswered += 1;
    else if (status === 409) stats.httpsConflicts += 1;
    else stats.httpsRefused += 1;
  }
  for (const call of world.calls) {
    const incoming = facts.pushes(call, 'incoming_call').filter((r) => r.outcome !== 'not_sent');
    const cancels = facts.pushes(call, 'call_cancelled').filter((r) => r.outcome !== 'not_sent');
    const reached = incoming.filter((r) => r.reached);
    const reachedCancels = cancels.filter((r) => r.reached);
    const { at: end } = facts.end(call);
    stats.incomingPushes += incoming.length;
    stats.reached += reached.length;
    stats.repeats += reached.length - new Set(reached.map((r) => r.phone)).size;
    stats.cancelPushes += cancels.length;
    stats.cancelRepeats += reachedCancels.length - new Set(reachedCancels.map((r) => r.phone)).size;
    stats.latePushes += incoming.filter((r) => r.start >= end).length;
    stats.lateReached += reached.filter((r) => r.start >= end).length;
    for (const index of facts.answered(call)) {
      const outcome = facts.final.answers.get(`${call.callUuid}/${index}`);
      if (outcome === 'won') stats.won += 1;
      if (outcome === 'late') stats.late += 1;
    }
    for (const owed of owedCancels(facts, call)) {
      if (owed.reachedAt === null) continue;
      const latency = owed.reachedAt - owed.at;
      stats.cancelLatency.push(latency);
      if (owed.calm && owed.by !== 'deadline') stats.calmCancelLatency.push(latency);
      if (owed.calm && owed.by === 'deadline') stats.deadlineCancelLatency.push(latency);
    }
  }
  return stats;
}

/**
 * Runs one schedule on virtual time: the PBX, the apps, device changes, the triggers and the
 * expiry job act as the scenario says while stores, providers and instances fail at random
 * until the schedule's calm; the job keeps running for minutes after the last deadline and
 * every retry plays out; then the invariants are checked against what the world saw.
 */
export async function simulate(
  scenario: Scenario,
  counts: FaultCounts,
  options: SimulateOptions,
): Promise<{ violations: string[]; stats: ScheduleStats; world: World }> {
  const world = new World(scenario, counts, options.backend, options.tenant);
  await world.setUp();
  for (const call of world.calls) void Promise.all(apps(world, call));
  await Promise.all([
    ...world.calls.flatMap((call) => pbx(world, call)),
    ...churn(world),
    jobs(world),
  ]);
  await world.clock.settled();
  const facts = new Facts(world, await finalViews(world));
  return { violations: violations(facts), stats: statsOf(facts), world };
}
