import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './emulator';
import { eventually } from './wait';

/**
 * Debian's Prometheus (`prometheus`, `promtool`), run for a test: it scrapes one target every
 * second with a bearer credential and answers PromQL over its HTTP API.
 */
export interface RunningPrometheus {
  url: string;
  /** An instant PromQL query: each series' labels and value. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  /** host:port */
  target: string;
  metricsPath: string;
  bearer: string;
  labels?: Record<string, string>;
}

const PORT = 9091;

export async function startPrometheus(scrape: ScrapeTarget): Promise<RunningPrometheus> {
  const dir = join(ROOT, '.cache', 'test', `prometheus-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const credentials = join(dir, 'credentials');
  writeFileSync(credentials, scrape.bearer, { mode: 0o600 });
  // JSON is YAML: the config needs no YAML library.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'callwake',
        metrics_path: scrape.metricsPath,
        authorization: { type: 'Bearer', credentials_file: credentials },
        static_configs: [{ targets: [scrape.target], labels: scrape.labels ?? {} }],
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${PORT}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PORT}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error ?? res.status}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      return (await fetch(`${url}/-/ready`).catch(() => null))?.ok;
    },
    'Prometheus to be ready',
    60_000,
  );
  return {
    url,
    query,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promtool check metrics` on an exposition: its findings, empty when it found none. */
export function promtoolCheck(exposition: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end(exposition);
  });
}
