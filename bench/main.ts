/**
 * `npm run bench`, inside `firebase emulators:exec` (scripts/bench.mjs): the five figures of
 * issue 6, each a distribution or a ratio measured in this one run, printed as Markdown tables
 * and written to bench/results.json. Every phase is bounded; the whole run stops itself.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT, requireEmulators } from '../test/support/emulator';
import { startProviders, stopProviders } from '../test/support/providers';
import { answerPath } from './answerPath';
import { coldStart } from './coldStart';
import { SERVED_COST_FILE, type ServedCost } from './costSummary';
import { freshInstance } from './freshInstance';
import { evaluateGoals } from './goals';
import { distribution } from './stats';
import { render, type Results } from './report';
import { FCM_ANSWER_DELAY_MS, LATENCY_SCENARIOS, ringPath } from './ringPath';
import { say } from './say';
import { throughput } from './throughput';

const QUICK = process.env.CALLWAKE_BENCH_QUICK === '1';
const LIMIT_MS = 14 * 60_000;

/** Sizes of each phase; `npm run bench -- --quick` is a smoke run. */
const SIZES = QUICK
  ? {
      coldRuns: 3,
      freshRuns: 3,
      ringCalls: 20,
      latencyCalls: 5,
      answerCalls: 8,
      answerLanes: 2,
      stepMs: 2_000,
    }
  : {
      coldRuns: 12,
      freshRuns: 8,
      ringCalls: 300,
      latencyCalls: 60,
      answerCalls: 50,
      answerLanes: 2,
      stepMs: 5_000,
    };

async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${name}...`);
  const result = await work();
  say(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function main(): Promise<void> {
  requireEmulators();
  const started = Date.now();
  const watchdog = setTimeout(() => {
    say(`bench: still running after ${LIMIT_MS / 60_000} minutes; giving up.`);
    process.exit(1);
  }, LIMIT_MS);
  watchdog.unref();
  // Counted by the cost session scripts/bench.mjs ran just before this one (bench/servedCost.ts).
  const servedCost = existsSync(SERVED_COST_FILE)
    ? (JSON.parse(readFileSync(SERVED_COST_FILE, 'utf8')) as ServedCost)
    : null;
  const fakes = await startProviders();
  try {
    const cold = await phase('cold start', () => coldStart(SIZES.coldRuns));
    const fresh = await phase("cold start, a fresh instance's first call", () =>
      freshInstance(fakes, SIZES.freshRuns),
    );
    const ring = await phase('ring path', () => ringPath(fakes, SIZES.ringCalls, say));
    say(
      `ring path: waited for quiet ${ring.quiet.waits} times, ${Math.round(ring.quiet.totalMs / 1000)} s ` +
        `in all (longest ${ring.quiet.maxMs} ms, ${ring.quiet.timedOut} gave up at the bound)`,
    );
    fakes.fcm.answerDelayMs = FCM_ANSWER_DELAY_MS;
    const latency = await phase(`ring path, FCM answering after ${FCM_ANSWER_DELAY_MS} ms`, () =>
      ringPath(fakes, SIZES.latencyCalls, say, LATENCY_SCENARIOS),
    ).finally(() => {
      fakes.fcm.answerDelayMs = 0;
    });
    // A failed answer phase leaves its figures empty (its goals not measured), not the run.
    const answer = await phase('answer path', () =>
      answerPath(fakes, SIZES.answerCalls, SIZES.answerLanes),
    ).catch((err: unknown) => {
      say(`answer path failed: ${err instanceof Error ? err.message : String(err)}`);
      const none = distribution([]);
      const nan = { p50: Number.NaN, p95: Number.NaN };
      return {
        calls: 0,
        lanes: SIZES.answerLanes,
        longPoll: none,
        byDoor: { sdk: none, https: none },
        cancelElsewhere: none,
        poll: none,
        seedsPoll: none,
        settled: none,
        ratio: nan,
        seedsRatio: nan,
        samples: [],
      };
    });
    const tput = await phase('throughput', () =>
      throughput({
        limitMs: 200,
        stepMs: SIZES.stepMs,
        levels: [1, 2, 4, 8, 16, 32, 64],
        deadline: started + LIMIT_MS - 60_000,
        log: say,
      }),
    );
    const cpus = os.cpus();
    const results: Results = {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      coldStart: cold,
      freshInstance: fresh,
      servedCost,
      ringPath: ring.rows,
      ringQuiet: ring.quiet,
      ringWithLatency: { fcmAnswerDelayMs: FCM_ANSWER_DELAY_MS, rows: latency.rows },
      answerPath: answer,
      throughput: tput,
      goals: evaluateGoals({
        ringPath: ring.rows,
        ringWithLatency: { fcmAnswerDelayMs: FCM_ANSWER_DELAY_MS, rows: latency.rows },
        answerPath: answer,
        freshInstance: fresh,
        coldStart: cold,
        servedCost,
      }),
    };
    const file = join(ROOT, 'bench', 'results.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    say(`\n${render(results)}\n\nWritten to bench/results.json`);
  } finally {
    await stopProviders();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
