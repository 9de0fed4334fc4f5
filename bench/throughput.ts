/**
 * Throughput: incoming calls per second the `api` function sustains, stepping the number of
 * PBX requests in flight up (1, 2, 4, …) until p95 passes the limit. The Functions emulator
 * runs one request per worker process and starts a worker (a cold start) whenever none is
 * idle, so each level is warmed up with a few rounds of simultaneous calls first.
 */
import {
  benchCallId,
  createTenant,
  postCall,
  registerExtensions,
  type TestTenant,
} from './fixtures';
import { percentile } from './stats';

export interface ThroughputStep {
  concurrency: number;
  calls: number;
  errors: number;
  seconds: number;
  callsPerSecond: number;
  p50: number;
  p95: number;
  passed: boolean;
}

export interface ThroughputResult {
  limitMs: number;
  steps: ThroughputStep[];
  /** The highest step whose p95 stayed within the limit (undefined when none did). */
  best?: ThroughputStep;
}

export interface ThroughputOptions {
  limitMs: number;
  /** Measuring time per step. */
  stepMs: number;
  levels: number[];
  /** No new step starts after this time (epoch ms). */
  deadline: number;
  log?: (line: string) => void;
}

const EXTENSIONS = 200;

class Extensions {
  private next = 0;
  constructor(private readonly list: string[]) {}
  take(): string {
    const ext = this.list[this.next % this.list.length] ?? '';
    this.next += 1;
    return ext;
  }
}

/** One call; its latency, or undefined when it was not a 201. */
async function timedCall(tenant: TestTenant, extensions: Extensions): Promise<number | undefined> {
  const started = performance.now();
  try {
    const reply = await postCall(tenant, benchCallId('tput'), extensions.take());
    return reply.status === 201 ? performance.now() - started : undefined;
  } catch {
    return undefined;
  }
}

async function step(
  tenant: TestTenant,
  extensions: Extensions,
  concurrency: number,
  options: ThroughputOptions,
): Promise<ThroughputStep> {
  for (let round = 0; round < 3; round += 1) {
    await Promise.all(Array.from({ length: concurrency }, () => timedCall(tenant, extensions)));
  }
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + options.stepMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const latency = await timedCall(tenant, extensions);
        if (latency === undefined) errors += 1;
        else latencies.push(latency);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const p95 = percentile(latencies, 95);
  return {
    concurrency,
    calls: latencies.length,
    errors,
    seconds: Math.round(seconds * 100) / 100,
    callsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
    p50: percentile(latencies, 50),
    p95,
    passed: p95 <= options.limitMs && errors <= latencies.length / 100,
  };
}

export async function throughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const tenant = await createTenant('live');
  const extensions = new Extensions(
    await registerExtensions(tenant, 'tx', EXTENSIONS, ['android']),
  );
  const steps: ThroughputStep[] = [];
  for (const concurrency of options.levels) {
    if (Date.now() > options.deadline) {
      options.log?.(`throughput: out of time before concurrency ${concurrency}`);
      break;
    }
    const result = await step(tenant, extensions, concurrency, options);
    steps.push(result);
    options.log?.(
      `throughput: concurrency ${concurrency}: ${result.callsPerSecond} calls/s, ` +
        `p95 ${Math.round(result.p95)} ms, ${result.errors} errors`,
    );
    if (!result.passed) break;
  }
  const best = steps.filter((s) => s.passed).at(-1);
  return { limitMs: options.limitMs, steps, ...(best ? { best } : {}) };
}
