import type { Platform } from '../model';
import {
  LATENCY_BUCKETS_S,
  CANCEL_PROVIDERS,
  OUTCOMES,
  PUSH_RESULTS,
  histogramName,
  type Counters,
} from './counters';
import { PROVIDERS, type Provider } from '../send/push';

/**
 * The Prometheus text exposition format (version 0.0.4) of a tenant's counters
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): base units (seconds), counters
 * ending in `_total`, histograms as cumulative `_bucket{le}` with `_sum` and `_count`, every
 * known label set present from zero so a rate over it never starts from a missing series.
 */

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One tenant's figures: its counters and its devices by platform. */
export interface TenantFigures {
  tenant: string;
  counters: Counters;
  devices: Record<Platform, number>;
}

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and line feed (the format's rule). */
const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function sample(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  const text = Number.isInteger(value)
    ? String(value)
    : value.toPrecision(12).replace(/\.?0+$/, '');
  // Every family here has a label (outcome, provider, platform), so every sample has braces.
  return `${name}{${pairs.join(',')}} ${text}`;
}

const family = (name: string, type: string, help: string) => [
  `# HELP ${name} ${help}`,
  `# TYPE ${name} ${type}`,
];

/**
 * The providers to show for a kind of push: the known ones from zero, and any other a counter
 * names (a provider added later shows up without a change here).
 */
function providersOf(
  figures: readonly TenantFigures[],
  kind: 'incoming' | 'cancel',
  known: readonly string[],
): Provider[] {
  const seen = figures.flatMap((f) =>
    Object.keys(f.counters).flatMap((key) => {
      const [what, provider, pushKind] = key.split('|');
      return what === 'pushes' && pushKind === kind && provider ? [provider] : [];
    }),
  );
  return [...new Set([...known, ...seen])] as Provider[];
}

/** `le` as Prometheus clients print it: 0.025, 1, 2.5, +Inf. */
const le = (seconds: number) => String(seconds);

function histogram(
  name: string,
  help: string,
  key: 'incoming' | 'cancel',
  figures: readonly TenantFigures[],
  scope: (f: TenantFigures) => Labels,
): string[] {
  const lines = family(name, 'histogram', help);
  const providers = providersOf(figures, key, key === 'incoming' ? PROVIDERS : CANCEL_PROVIDERS);
  for (const f of figures) {
    for (const provider of providers) {
      const h = `${histogramName(key)}|${provider}`;
      const labels = { ...scope(f), provider };
      let cumulative = 0;
      LATENCY_BUCKETS_S.forEach((bound, i) => {
        cumulative += f.counters[`${h}|b${i}`] ?? 0;
        lines.push(sample(`${name}_bucket`, { ...labels, le: le(bound) }, cumulative));
      });
      const count = f.counters[`${h}|count`] ?? 0;
      lines.push(sample(`${name}_bucket`, { ...labels, le: '+Inf' }, count));
      lines.push(sample(`${name}_sum`, labels, (f.counters[`${h}|sum_ms`] ?? 0) / 1000));
      lines.push(sample(`${name}_count`, labels, count));
    }
  }
  return lines;
}

/**
 * The exposition of one tenant (no tenant label: the scrape target names it) or of several
 * (`withTenantLabel`: a `tenant` label on every sample).
 */
export function renderExposition(
  figures: readonly TenantFigures[],
  withTenantLabel: boolean,
): string {
  const scope = (f: TenantFigures): Labels => (withTenantLabel ? { tenant: f.tenant } : {});
  const lines = [
    ...family(
      'callwake_calls_total',
      'counter',
      `Calls that stopped ringing, by outcome (${OUTCOMES.join(', ')}).`,
    ),
    ...figures.flatMap((f) =>
      OUTCOMES.map((outcome) =>
        sample(
          'callwake_calls_total',
          { ...scope(f), outcome },
          f.counters[`calls|${outcome}`] ?? 0,
        ),
      ),
    ),
    ...family(
      'callwake_pushes_total',
      'counter',
      'Pushes whose outcome was recorded, by provider, kind (incoming call or cancel) and result.',
    ),
    ...figures.flatMap((f) =>
      (['incoming', 'cancel'] as const).flatMap((kind) =>
        providersOf(figures, kind, kind === 'incoming' ? PROVIDERS : CANCEL_PROVIDERS).flatMap(
          (provider) =>
            PUSH_RESULTS.map((result) =>
              sample(
                'callwake_pushes_total',
                { ...scope(f), provider, kind, result },
                f.counters[`pushes|${provider}|${kind}|${result}`] ?? 0,
              ),
            ),
        ),
      ),
    ),
    ...histogram(
      'callwake_ring_latency_seconds',
      "From the PBX's call request to the provider accepting the incoming push, per push.",
      'incoming',
      figures,
      scope,
    ),
    ...histogram(
      'callwake_cancel_latency_seconds',
      'From the moment a call stopped ringing to the provider accepting its cancel push, per push.',
      'cancel',
      figures,
      scope,
    ),
    ...family('callwake_devices', 'gauge', 'Registered devices, by platform.'),
    ...figures.flatMap((f) =>
      (['android', 'ios', 'web'] as const).map((platform) =>
        sample('callwake_devices', { ...scope(f), platform }, f.devices[platform]),
      ),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
