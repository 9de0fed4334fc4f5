import { collection, limit, onSnapshot, orderBy, query } from 'firebase/firestore';
import { callerOf, ringMs, STATUS_LABEL, type Call } from '../calls';
import { clock, duration, fill, h } from '../dom';
import type { Page } from '../page';

/** How many of the newest calls the live list follows. */
const LIVE_CALLS = 50;

function deviceTimes(call: Call): HTMLElement {
  const entries = Object.entries(call.deliveries).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return h('span', { class: 'muted' }, '—');
  return h(
    'ul',
    { class: 'rings' },
    ...entries.map(([id, d]) =>
      h(
        'li',
        {},
        h('span', { class: 'device' }, id),
        ' ',
        d.status === 'accepted'
          ? duration(ringMs(call, d))
          : h('span', { class: `push ${d.status}` }, d.status.replace('_', ' ')),
      ),
    ),
  );
}

function row(call: Call, href: string): HTMLTableRowElement {
  const [name, number] = callerOf(call);
  return h(
    'tr',
    { 'data-call-id': call.callId, 'data-status': call.status },
    h(
      'td',
      {},
      h('time', { datetime: new Date(call.createdAt).toISOString() }, clock(call.createdAt)),
    ),
    h('td', {}, h('span', { class: `status ${call.status}` }, STATUS_LABEL[call.status])),
    h('td', {}, call.extension),
    h(
      'td',
      { class: 'caller' },
      name ?? h('span', { class: 'muted' }, 'unknown'),
      number && number !== name ? h('span', { class: 'muted' }, ` ${number}`) : null,
    ),
    h('td', {}, deviceTimes(call)),
    h(
      'td',
      {},
      h(
        'a',
        { href },
        'Timeline',
        h('span', { class: 'visually-hidden' }, ` of call ${call.callId}`),
      ),
    ),
  );
}

/** Live calls: the tenant's newest calls, updated by a Firestore listener as they ring and end. */
export const callsPage: Page = (ctx, main) => {
  const body = h('tbody', {});
  const status = h('p', { class: 'muted', role: 'status' }, 'Connecting…');
  fill(
    main,
    h('h1', {}, 'Live calls'),
    status,
    h(
      'table',
      { class: 'calls', 'aria-describedby': 'calls-caption' },
      h(
        'caption',
        { id: 'calls-caption' },
        `The ${LIVE_CALLS} newest calls of ${ctx.tenant}, live`,
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Time', 'Status', 'Extension', 'Caller', 'Each device rang after', ''].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      body,
    ),
  );
  let first = true;
  const calls = query(
    collection(ctx.services.db, 'tenants', ctx.tenant, 'calls'),
    orderBy('createdAt', 'desc'),
    limit(LIVE_CALLS),
  );
  return onSnapshot(
    calls,
    (snap) => {
      const rows = snap.docs.map((d) => row(d.data() as Call, ctx.href('call', d.id)));
      fill(body, ...rows);
      fill(
        status,
        snap.empty
          ? 'No calls yet. New calls appear here as they ring.'
          : `${snap.size} calls, live.`,
      );
      if (first) {
        first = false;
        performance.mark('callwake:live-calls');
        main.dataset.ready = 'calls';
      }
    },
    (err) => {
      fill(status, `The live list stopped: ${err.message}`);
    },
  );
};
