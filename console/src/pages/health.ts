import { collection, getDocs, limit, orderBy, query, where } from 'firebase/firestore';
import { OUTCOMES } from '../../../functions/core/metrics/counters';
import { api, ApiError } from '../api';
import { STATUS_LABEL, type Call } from '../calls';
import { fill, h, s } from '../dom';
import type { Page } from '../page';

interface Histogram {
  le: string[];
  counts: number[];
  count: number;
  sum_seconds: number;
}

interface Figures {
  calls: Record<string, number>;
  ring_latency: Histogram;
  cancel_latency: Histogram;
  devices: Record<string, number>;
}

const HOUR = 3_600_000;
const DAY_CALLS = 1_000;

/** A bucket's upper bound, short enough to sit under its bar: `≤25ms`, `≤2.5s`, `>10s`. */
function bucketLabel(le: string): string {
  if (le === '+Inf') return '>10s';
  const seconds = Number(le);
  return seconds < 1 ? `≤${Math.round(seconds * 1000)}ms` : `≤${seconds}s`;
}

/** A bar chart in SVG: one bar per label, its value written on it. */
function bars(title: string, labels: string[], values: number[], cls: string): SVGSVGElement {
  const width = 560;
  const height = 200;
  const left = 36;
  const bottom = 36;
  const max = Math.max(1, ...values);
  const slot = (width - left) / Math.max(1, labels.length);
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: `chart ${cls}`,
    role: 'img',
    'aria-label': `${title}: ${labels.map((l, i) => `${l} ${values[i] ?? 0}`).join(', ')}`,
  });
  labels.forEach((label, i) => {
    const v = values[i] ?? 0;
    const bh = ((height - bottom - 16) * v) / max;
    const x = left + i * slot + slot * 0.15;
    svg.appendChild(
      s('rect', { x, y: height - bottom - bh, width: slot * 0.7, height: bh, class: 'bar' }),
    );
    svg.appendChild(
      s(
        'text',
        {
          x: x + slot * 0.35,
          y: height - bottom - bh - 4,
          'text-anchor': 'middle',
          class: 'value',
        },
        String(v),
      ),
    );
    svg.appendChild(
      s(
        'text',
        { x: x + slot * 0.35, y: height - bottom + 16, 'text-anchor': 'middle', class: 'axis' },
        label,
      ),
    );
  });
  return svg;
}

/** Outcomes per hour over the last day, stacked. */
function outcomesOverTime(calls: Call[], now: number): SVGSVGElement {
  const width = 560;
  const height = 220;
  const left = 36;
  const bottom = 40;
  const hours = Array.from({ length: 24 }, (_, i) => now - (23 - i) * HOUR);
  const counts = hours.map((end) => {
    const inHour = calls.filter((c) => c.createdAt > end - HOUR && c.createdAt <= end);
    return OUTCOMES.map((o) => inHour.filter((c) => c.status === o).length);
  });
  const max = Math.max(1, ...counts.map((c) => c.reduce((a, b) => a + b, 0)));
  const slot = (width - left) / 24;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart outcomes',
    role: 'img',
    'aria-label': `Outcomes per hour over the last 24 hours, ${calls.length} calls; the table below lists the totals.`,
  });
  counts.forEach((perOutcome, i) => {
    let y = height - bottom;
    perOutcome.forEach((n, j) => {
      if (n === 0) return;
      const bh = ((height - bottom - 10) * n) / max;
      y -= bh;
      svg.appendChild(
        s(
          'rect',
          {
            x: left + i * slot + 2,
            y,
            width: slot - 4,
            height: bh,
            class: `bar ${OUTCOMES[j] ?? ''}`,
          },
          s('title', {}, `${n} ${OUTCOMES[j] ?? ''}`),
        ),
      );
    });
    if (i % 4 === 3) {
      const hour = new Date(hours[i] ?? now).getHours();
      svg.appendChild(
        s(
          'text',
          {
            x: left + i * slot + slot / 2,
            y: height - bottom + 16,
            'text-anchor': 'middle',
            class: 'axis',
          },
          `${String(hour).padStart(2, '0')}h`,
        ),
      );
    }
  });
  const legend = s('g', { class: 'legend' });
  OUTCOMES.forEach((o, j) => {
    legend.appendChild(
      s('rect', { x: left + j * 104, y: height - 16, width: 10, height: 10, class: `bar ${o}` }),
    );
    legend.appendChild(
      s('text', { x: left + j * 104 + 14, y: height - 7, class: 'axis' }, STATUS_LABEL[o]),
    );
  });
  svg.appendChild(legend);
  return svg;
}

/** Health: the ring latency histogram, outcomes since the counters began, and over the last day. */
export const healthPage: Page = (ctx, main) => {
  const content = h('div', {}, h('p', { role: 'status' }, 'Loading…'));
  fill(main, h('h1', {}, 'Health'), content);
  const now = Date.now();
  const day = query(
    collection(ctx.services.db, 'tenants', ctx.tenant, 'calls'),
    where('createdAt', '>', now - 24 * HOUR),
    orderBy('createdAt', 'desc'),
    limit(DAY_CALLS),
  );
  Promise.all([
    api<Figures>(
      ctx.services.auth,
      'GET',
      `/v1/console/tenants/${encodeURIComponent(ctx.tenant)}/metrics`,
    ),
    getDocs(day),
  ])
    .then(([figures, snap]) => {
      const calls = snap.docs.map((d) => d.data() as Call);
      const ring = figures.ring_latency;
      const mean = ring.count > 0 ? Math.round((ring.sum_seconds / ring.count) * 1000) : undefined;
      fill(
        content,
        h('h2', {}, 'Ring latency'),
        h(
          'p',
          {},
          `PBX request → provider accepted, per push: ${ring.count} pushes${mean === undefined ? '' : `, mean ${mean} ms`}.`,
        ),
        bars(
          'Ring latency histogram, pushes per bucket',
          ring.le.map(bucketLabel),
          ring.counts,
          'ring',
        ),
        h('h2', {}, 'Outcomes over the last 24 hours'),
        outcomesOverTime(calls, now),
        h(
          'table',
          { class: 'outcomes' },
          h('caption', {}, 'Calls by outcome'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Outcome'),
              h('th', { scope: 'col' }, 'Last 24 h'),
              h('th', { scope: 'col' }, 'Since the counters began'),
            ),
          ),
          h(
            'tbody',
            {},
            ...OUTCOMES.map((o) =>
              h(
                'tr',
                { 'data-outcome': o },
                h('th', { scope: 'row' }, STATUS_LABEL[o]),
                h('td', {}, String(calls.filter((c) => c.status === o).length)),
                h('td', {}, String(figures.calls[o] ?? 0)),
              ),
            ),
          ),
        ),
        h(
          'p',
          {},
          `Devices: ${figures.devices.android ?? 0} Android, ${figures.devices.ios ?? 0} iOS. The same figures, for Prometheus: GET /v1/metrics with the tenant's key.`,
        ),
      );
      main.dataset.ready = 'health';
    })
    .catch((err: unknown) => {
      fill(
        content,
        h(
          'p',
          { role: 'alert' },
          err instanceof ApiError
            ? err.message
            : `The figures could not be loaded: ${(err as Error).message}`,
        ),
      );
    });
  return () => undefined;
};
