import type { Call } from '../core/model';
import { callIdSchema, extensionSchema } from '../core/schemas';
import { callView, type TimelineEntry } from '../core/call/callView';
import * as callHistory from '../store/callHistory';
import {
  checked,
  emit,
  nextPageHint,
  paging,
  type CliContext,
  type Command,
  type Invocation,
} from './command';
import { existingTenant } from './context';
import { CliError } from './errors';
import { clock, table, when } from './output';

/** The API's own view of the call, plus who called and when: an operator wants both. */
function view(call: Call) {
  const shown = callView(call, true);
  return {
    ...shown,
    // With `true`, callView always holds one (empty for a call with no devices).
    timeline: shown.timeline ?? [],
    created_at: new Date(call.createdAt).toISOString(),
    ...(call.from ? { from: call.from } : {}),
    ...(call.fromName ? { from_name: call.fromName } : {}),
  };
}

const caller = (call: Call) =>
  call.fromName && call.from ? `${call.from} (${call.fromName})` : (call.from ?? call.fromName);

/** One line per device: pushed → provider answered → delivered → answered, then its cancel. */
function timelineLine(t: TimelineEntry): string {
  const steps = [
    `${t.kind ?? '?'} push ${t.push_status ?? '?'}${t.provider_status ? ` (HTTP ${t.provider_status}${t.reason ? `, ${t.reason}` : ''})` : t.reason ? ` (${t.reason})` : ''}`,
    t.pushed_at && `pushed ${clock(t.pushed_at)}`,
    t.provider_answered_at && `provider ${clock(t.provider_answered_at)}`,
    t.delivered_at ? `delivered ${clock(t.delivered_at)}` : 'not acknowledged',
    t.answer && `${t.answer} ${clock(t.answered_at)}${t.late ? ' (late)' : ''}`,
    t.cancel_status && `cancel push ${t.cancel_status}`,
  ];
  return `    ${t.device_id}: ${steps.filter(Boolean).join(', ')}`;
}

const noCall = (tenant: string, id: string) =>
  new CliError(
    `Tenant ${tenant} has no call "${id}": \`callwake calls list ${tenant}\` shows its recent calls.`,
  );

/** The call a command line names by call id or call uuid. */
export async function findCall(ctx: CliContext, tenant: string, given: string): Promise<Call> {
  const id = checked(callIdSchema, 'call-id', given);
  const call = await callHistory.findCall(ctx.db, tenant, id);
  if (!call) throw noCall(tenant, id);
  return call;
}

/** Recent calls, newest first, each with its timeline. */
async function listCalls(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const page = paging(inv.values, 20);
  const { extension } = inv.values;
  const ext =
    extension === undefined ? undefined : checked(extensionSchema, 'extension', extension);
  const after = page.after === undefined ? undefined : checked(callIdSchema, 'call-id', page.after);
  const found = await callHistory.recentCalls(inv.ctx.db, tenant.id, ext, {
    limit: page.limit,
    ...(after === undefined ? {} : { after }),
  });
  if (!found) throw noCall(tenant.id, after ?? '');
  const { items: calls, next } = found;
  const rows = table(
    ['CREATED', 'CALL ID', 'EXTENSION', 'FROM', 'STATUS', 'DEVICES', 'PUSHED', 'ANSWERED BY'],
    calls.map((c) => [
      when(c.createdAt),
      c.callId,
      c.extension,
      caller(c),
      c.status,
      c.devices,
      c.pushed,
      c.answeredBy,
    ]),
  );
  emit(
    inv,
    () => ({ tenant: tenant.id, calls: calls.map(view), ...(next ? { next_after: next } : {}) }),
    () => [
      ...(calls.length === 0
        ? [
            `No calls in tenant ${tenant.id}${extension === undefined ? '' : ` for extension ${extension}`}.`,
          ]
        : [
            rows[0] ?? '',
            ...calls.flatMap((call, i) => [
              rows[i + 1] ?? '',
              ...view(call).timeline.map(timelineLine),
            ]),
          ]),
      ...(next ? [nextPageHint(inv, next)] : []),
    ],
  );
}

async function showCall(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const call = await findCall(inv.ctx, tenant.id, inv.args['call-id'] ?? '');
  const v = view(call);
  const facts: [string, string | number | undefined][] = [
    ['call uuid', v.call_uuid],
    ['extension', v.extension],
    ['from', caller(call)],
    ['status', v.status + (v.answered_by ? ` (answered by ${v.answered_by})` : '')],
    ['end reason', v.end_reason],
    ['created', when(call.createdAt)],
    ['ring until', when(call.expiresAt)],
    ['devices', `${v.devices} registered, ${v.pushed} pushed`],
  ];
  emit(
    inv,
    () => ({ tenant: tenant.id, ...v }),
    () => [
      `Call ${v.call_id} of tenant ${tenant.id}`,
      ...facts
        .filter(([, value]) => value !== undefined)
        .map(([k, value]) => `  ${k.padEnd(11)}${String(value)}`),
      '',
      ...(v.timeline.length === 0
        ? ['No device was pushed.']
        : table(
            [
              'DEVICE',
              'KIND',
              'PUSH',
              'TRIES',
              'PROVIDER',
              'PUSHED',
              'PROVIDER ANSWERED',
              'DELIVERED',
              'ANSWER',
              'CANCEL PUSH',
            ],
            v.timeline.map((t) => [
              t.device_id,
              t.kind,
              t.push_status,
              t.attempts,
              [t.provider_status, t.reason].filter(Boolean).join(' '),
              clock(t.pushed_at),
              clock(t.provider_answered_at),
              clock(t.delivered_at),
              t.answer && `${t.answer} ${clock(t.answered_at)}${t.late ? ' late' : ''}`,
              t.cancel_status,
            ]),
          )),
      ...(v.timeline.length === 0
        ? []
        : ['', `The pushes' payloads: callwake calls pushes ${tenant.id} ${v.call_id}`]),
    ],
  );
}

export const callCommands: Command[] = [
  {
    name: 'calls list',
    args: ['tenant'],
    options: ['extension', 'limit', 'after'],
    summary: 'recent calls, newest first, with their timelines',
    run: listCalls,
  },
  {
    name: 'calls show',
    args: ['tenant', 'call-id'],
    options: [],
    summary: 'one call (call id or call uuid) with its timeline',
    run: showCall,
  },
];
