import { doc, onSnapshot } from 'firebase/firestore';
import { callView } from '../../../functions/core/call/callView';
import { callerOf, STATUS_LABEL, type Call } from '../calls';
import { clock, duration, fill, h } from '../dom';
import type { Page } from '../page';
import { lanesOf, timelineSvg, timelineTable } from '../timeline';

function facts(call: Call): HTMLElement {
  const [name, number] = callerOf(call);
  const item = (term: string, value: Node | string) => [h('dt', {}, term), h('dd', {}, value)];
  return h(
    'dl',
    { class: 'facts' },
    ...item(
      'Status',
      h(
        'span',
        { class: `status ${call.status}`, 'data-status': call.status },
        STATUS_LABEL[call.status],
      ),
    ),
    ...item('Outcome', call.endReason ? call.endReason.replace('_', ' ') : 'still ringing'),
    ...item('Extension', call.extension),
    ...item('Caller', [name, number].filter(Boolean).join(' ') || 'unknown'),
    ...item('PBX call id', call.callId),
    ...item('Started', clock(call.createdAt)),
    ...item('Devices', `${call.pushed} of ${call.devices} pushed`),
    ...(call.answeredBy ? item('Answered by', call.answeredBy) : []),
    ...(call.endedAt ? item('Rang for', duration(call.endedAt - call.createdAt)) : []),
  );
}

/** One call: its facts, its timeline drawn one lane per device, and the API's JSON of it. */
export const callPage: Page = (ctx, main) => {
  const uuid = ctx.params[0] ?? '';
  const live = h('div', {}, h('p', { role: 'status' }, 'Loading…'));
  fill(
    main,
    h('p', {}, h('a', { href: ctx.href('calls') }, '← Live calls')),
    h('h1', {}, 'Call'),
    live,
  );
  return onSnapshot(
    doc(ctx.services.db, 'tenants', ctx.tenant, 'calls', uuid),
    (snap) => {
      if (!snap.exists()) {
        fill(live, h('p', { role: 'status' }, 'No such call in this tenant.'));
        return;
      }
      const call = snap.data() as Call;
      const lanes = lanesOf(call);
      fill(
        live,
        facts(call),
        h('h2', {}, 'Timeline'),
        lanes.length > 0 ? timelineSvg(call, lanes) : h('p', {}, 'No device was pushed.'),
        lanes.length > 0 ? timelineTable(lanes) : null,
        h(
          'details',
          {},
          h('summary', {}, 'As the API answers it (GET /v1/calls/{id}, JSON)'),
          h('pre', { class: 'json' }, JSON.stringify(callView(call, true), null, 2)),
        ),
      );
      main.dataset.ready = 'call';
    },
    (err) => {
      fill(live, h('p', { role: 'alert' }, `Cannot read this call: ${err.message}`));
    },
  );
};
