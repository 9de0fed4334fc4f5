import type { Call } from '../../functions/core/model';
import { duration, h, s } from './dom';

/** One moment of a device's lane, in ms since the call started. */
export interface LaneEvent {
  name: 'pushed' | 'provider answered' | 'delivered' | 'answered' | 'cancel pushed';
  at: number;
  /** What happened then: the provider's verdict, the answer, the cancel's result. */
  detail?: string;
}

export interface Lane {
  deviceId: string;
  events: LaneEvent[];
}

/** Each device's moments, from the call's record (the same data as GET /v1/calls/{id}). */
export function lanesOf(call: Call): Lane[] {
  const rel = (ms: number | undefined) => (ms === undefined ? undefined : ms - call.createdAt);
  return Object.entries(call.deliveries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([deviceId, d]) => {
      const cancel = call.cancels?.[deviceId];
      const events: (LaneEvent | null)[] = [
        d.pushedAt === undefined
          ? null
          : { name: 'pushed', at: rel(d.pushedAt) ?? 0, detail: d.provider.toUpperCase() },
        d.settledAt === undefined
          ? null
          : {
              name: 'provider answered',
              at: rel(d.settledAt) ?? 0,
              detail: [d.status.replace('_', ' '), d.providerStatus].filter(Boolean).join(' '),
            },
        d.deliveredAt === undefined ? null : { name: 'delivered', at: rel(d.deliveredAt) ?? 0 },
        d.answeredAt === undefined
          ? null
          : {
              name: 'answered',
              at: rel(d.answeredAt) ?? 0,
              detail: `${d.answer ?? ''}${d.late ? ' (late)' : ''}`,
            },
        cancel === undefined
          ? null
          : {
              name: 'cancel pushed',
              at: rel(cancel.pushedAt) ?? 0,
              detail: cancel.status.replace('_', ' '),
            },
      ];
      return { deviceId, events: events.filter((e): e is LaneEvent => e !== null) };
    });
}

const LEFT = 150;
const RIGHT = 30;
const WIDTH = 760;
const LANE = 92;
const TOP = 28;

/**
 * The timeline as a picture: one lane per device, each moment a dot with its name and its
 * time in ms, and the moment ringing stopped as a line across every lane.
 */
export function timelineSvg(call: Call, lanes: readonly Lane[]): SVGSVGElement {
  const ended = call.endedAt === undefined ? undefined : call.endedAt - call.createdAt;
  const last = Math.max(1, ended ?? 0, ...lanes.flatMap((l) => l.events.map((e) => e.at)));
  const x = (ms: number) => LEFT + (Math.max(0, ms) / last) * (WIDTH - LEFT - RIGHT);
  const height = TOP + lanes.length * LANE + 24;
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: 'timeline',
    role: 'img',
    'aria-label': `Timeline of call ${call.callId}: ${lanes.length} device lanes; the table below lists the same times.`,
  });
  svg.appendChild(s('text', { x: LEFT, y: 16, class: 'axis' }, '0 ms'));
  svg.appendChild(
    s('text', { x: WIDTH - RIGHT, y: 16, class: 'axis', 'text-anchor': 'end' }, duration(last)),
  );
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE + LANE / 2;
    const g = s('g', { class: 'lane', 'data-device': lane.deviceId });
    g.appendChild(s('text', { x: 8, y: y + 4, class: 'lane-label' }, lane.deviceId));
    g.appendChild(s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, class: 'lane-line' }));
    lane.events.forEach((e, j) => {
      const cx = x(e.at);
      // Labels take turns above and below the lane, two rows each, so close moments stay legible.
      const dy = [-10, 20, -24, 34, -38][j] ?? 20;
      const anchor = cx > WIDTH - 140 ? 'end' : cx < LEFT + 60 ? 'start' : 'middle';
      g.appendChild(
        s(
          'circle',
          { cx, cy: y, r: 5, class: `event ${e.name.replace(' ', '-')}` },
          s('title', {}, `${e.name} ${e.detail ?? ''} +${e.at} ms`),
        ),
      );
      g.appendChild(
        s(
          'text',
          { x: cx, y: y + dy, class: 'event-label', 'text-anchor': anchor },
          `${e.name} +${Math.round(e.at)} ms`,
        ),
      );
    });
    svg.appendChild(g);
  });
  if (ended !== undefined) {
    svg.appendChild(
      s('line', { x1: x(ended), x2: x(ended), y1: TOP - 6, y2: height - 20, class: 'ended' }),
    );
    svg.appendChild(
      s(
        'text',
        { x: x(ended), y: height - 6, class: 'axis', 'text-anchor': 'middle' },
        `stopped ringing +${Math.round(ended)} ms`,
      ),
    );
  }
  return svg;
}

/** The same moments as a table, for reading and for screen readers. */
export function timelineTable(lanes: readonly Lane[]): HTMLTableElement {
  const names: LaneEvent['name'][] = [
    'pushed',
    'provider answered',
    'delivered',
    'answered',
    'cancel pushed',
  ];
  return h(
    'table',
    { class: 'lanes' },
    h('caption', {}, 'Each device, in ms since the call started'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Device'),
        ...names.map((n) => h('th', { scope: 'col' }, n)),
      ),
    ),
    h(
      'tbody',
      {},
      ...lanes.map((lane) =>
        h(
          'tr',
          { 'data-device': lane.deviceId },
          h('th', { scope: 'row' }, lane.deviceId),
          ...names.map((n) => {
            const e = lane.events.find((ev) => ev.name === n);
            return h(
              'td',
              {},
              e ? `+${Math.round(e.at)} ms${e.detail ? ` ${e.detail}` : ''}` : '—',
            );
          }),
        ),
      ),
    ),
  );
}
