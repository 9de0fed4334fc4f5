/**
 * Cold start: `require()` of a built module in a fresh Node process, the module that serves
 * `api` against a hello-world `onRequest` built the same way. Runs alternate between the
 * modules so machine noise falls on both.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../test/support/emulator';
import { median, ratio } from './stats';

const run = promisify(execFile);

/**
 * Packages whose presence after the import says a heavy client was not deferred. (zod is bundled
 * into the function modules by scripts/build.mjs, so it shows only for the unbundled module.)
 */
const HEAVY = [
  '@google-cloud/firestore',
  'google-gax',
  '@grpc/grpc-js',
  'protobufjs',
  '@noble/curves',
  'zod',
];

export const COLD_MODULES = {
  hello: 'lib/bench/hello.js',
  index: 'lib/functions/index.js',
  http: 'lib/functions/http/onApiRequest.js',
  // tsc's output before scripts/build.mjs bundles it: the same code, one module per file.
  unbundled: 'lib/functions/http/onApiRequest.unbundled.js',
} as const;
export type ColdModule = keyof typeof COLD_MODULES;

export interface ColdStartResult {
  runs: number;
  /** Median milliseconds of the require() itself, per module. */
  requireMs: Record<ColdModule, number>;
  /** Median milliseconds from spawning `node` to its exit, per module. */
  processMs: Record<ColdModule, number>;
  /** Modules in require.cache after the import. */
  modules: Record<ColdModule, number>;
  /** HEAVY packages the import loaded. */
  heavy: Record<ColdModule, string[]>;
  /** index / hello, http / hello and unbundled / hello, of the require() medians. */
  ratio: { index: number; http: number; unbundled: number };
}

// Runs in the child: time the require, then list what it loaded.
const PROBE = `
const { performance } = require('node:perf_hooks');
const started = performance.now();
require(process.argv[1]);
const ms = performance.now() - started;
const files = Object.keys(require.cache);
const heavy = JSON.parse(process.argv[2]).filter((name) =>
  files.some((file) => file.includes('/node_modules/' + name + '/')));
process.stdout.write(JSON.stringify({ ms, modules: files.length, heavy }));
`;

interface Probe {
  ms: number;
  modules: number;
  heavy: string[];
}

async function once(file: string): Promise<Probe & { processMs: number }> {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    ['-e', PROBE, join(ROOT, file), JSON.stringify(HEAVY)],
    // As the runtime starts the instance that serves `api`: it names its function in FUNCTION_TARGET.
    { cwd: ROOT, timeout: 30_000, env: { ...process.env, FUNCTION_TARGET: 'api' } },
  );
  const processMs = performance.now() - started;
  return { ...(JSON.parse(stdout) as Probe), processMs };
}

/** `runs` fresh processes per module (after one discarded round that warms the disk cache). */
export async function coldStart(runs: number): Promise<ColdStartResult> {
  const names = Object.keys(COLD_MODULES) as ColdModule[];
  const samples = Object.fromEntries(
    names.map((n) => [n, [] as (Probe & { processMs: number })[]]),
  );
  for (let round = -1; round < runs; round += 1) {
    for (const name of names) {
      const probe = await once(COLD_MODULES[name]);
      if (round >= 0) samples[name]?.push(probe);
    }
  }
  const per = <T>(pick: (list: (Probe & { processMs: number })[]) => T) =>
    Object.fromEntries(names.map((n) => [n, pick(samples[n] ?? [])])) as Record<ColdModule, T>;
  const requireMs = per((list) => median(list.map((p) => p.ms)));
  return {
    runs,
    requireMs,
    processMs: per((list) => median(list.map((p) => p.processMs))),
    modules: per((list) => list[0]?.modules ?? 0),
    heavy: per((list) => list[0]?.heavy ?? []),
    ratio: {
      index: ratio(requireMs.index, requireMs.hello),
      http: ratio(requireMs.http, requireMs.hello),
      unbundled: ratio(requireMs.unbundled, requireMs.hello),
    },
  };
}
