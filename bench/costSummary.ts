/**
 * The served cost (bench/servedCost.ts) summed up: each step's reads and writes (the median
 * round, with the range over rounds), and what an answered 10-device call costs against the
 * floor and the seeds' design. bench/report.ts prints it.
 */
import { join } from 'node:path';
import { ROOT } from '../test/support/emulator';
import type { OpRow } from './firestoreProxy';
import { median } from './stats';

/** Where the cost session leaves its counts for bench/main.ts. */
export const SERVED_COST_FILE = join(ROOT, '.cache', 'bench', 'served-cost.json');

/** One step of one round: what the functions' Firestore traffic cost. */
export interface CostStep {
  system: 'callwake' | 'floor' | 'seeds';
  step: string;
  rows: OpRow[];
  /** Writes the app made itself (its answer document), not through a function. */
  appWrites: number;
}

export interface ServedCost {
  rounds: number;
  steps: CostStep[][];
}

export interface StepCost {
  system: CostStep['system'];
  step: string;
  /** Medians over the rounds that ran the step. */
  reads: number;
  writes: number;
  emptyQueries: number;
  appWrites: number;
  /** Reads + writes + empty queries, each round. */
  totals: number[];
}

/** Everything a step read or wrote, by the functions and by the app itself. */
const totalOf = (rows: OpRow[], appWrites: number) =>
  rows.reduce((n, r) => n + r.reads + r.writes + r.emptyQueries, 0) + appWrites;

const sum = (rows: OpRow[], field: 'reads' | 'writes' | 'emptyQueries') =>
  rows.reduce((n, r) => n + r[field], 0);

export function stepCosts(cost: ServedCost): StepCost[] {
  const byStep = new Map<string, CostStep[]>();
  for (const steps of cost.steps) {
    for (const step of steps) {
      const key = `${step.system}\u0000${step.step}`;
      byStep.set(key, [...(byStep.get(key) ?? []), step]);
    }
  }
  return [...byStep.values()].map((runs) => ({
    system: runs[0]?.system ?? 'callwake',
    step: runs[0]?.step ?? '',
    reads: median(runs.map((s) => sum(s.rows, 'reads'))),
    writes: median(runs.map((s) => sum(s.rows, 'writes'))),
    emptyQueries: median(runs.map((s) => sum(s.rows, 'emptyQueries'))),
    appWrites: median(runs.map((s) => s.appWrites)),
    totals: runs.map((s) => totalOf(s.rows, s.appWrites)),
  }));
}

/** An answered 10-device call: callwake's ring and answer (through `door`), the peers'. */
export function answeredCall(
  steps: StepCost[],
  door: 'HTTPS route' | 'answer document',
): { callwake: StepCost[]; floor: StepCost[]; seeds: StepCost[] } {
  return {
    callwake: steps.filter(
      (s) => s.system === 'callwake' && (s.step === 'ring' || s.step === `answer (${door})`),
    ),
    floor: steps.filter((s) => s.system === 'floor'),
    seeds: steps.filter((s) => s.system === 'seeds'),
  };
}

/** "38 reads, 12 writes" over `steps` (the app's own writes included). */
export function opsText(steps: StepCost[]): string {
  const reads = steps.reduce((n, s) => n + s.reads + s.emptyQueries, 0);
  const writes = steps.reduce((n, s) => n + s.writes + s.appWrites, 0);
  return `${reads} reads, ${writes} writes`;
}
