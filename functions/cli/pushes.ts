import { outboxOfCall } from '../store/outboxSender';
import { emit, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { findCall } from './calls';
import { clock } from './output';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** What a push was: the payload's `type` (incoming_call, call_cancelled). */
function typeOf(body: unknown): string {
  const b = body as { type?: unknown; message?: { data?: { type?: unknown } } } | undefined;
  const type = b?.type ?? b?.message?.data?.type;
  return typeof type === 'string' ? type : 'push';
}

/**
 * The pushes a call sent, in order, with their payloads: in outbox mode (the local stack's) the
 * stored requests, exactly as the providers would get them with the tokens masked. In live mode
 * payloads are not kept; the call's timeline (`calls show`) has each push's outcome.
 */
async function showPushes(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const call = await findCall(inv.ctx, tenant.id, inv.args['call-id'] ?? '');
  const pushes = await outboxOfCall(inv.ctx.db, tenant.id, call.callUuid);
  const live = Object.values(call.deliveries).some((d) => !d.providerId?.startsWith('outbox/'));
  emit(
    inv,
    () => ({
      tenant: tenant.id,
      call_id: call.callId,
      call_uuid: call.callUuid,
      pushes: pushes.map((p) => ({
        device_id: p.deviceId,
        type: typeOf(p.body),
        provider: p.provider,
        created_at: iso(p.createdAt),
        method: p.method,
        url: p.url,
        headers: p.headers,
        body: p.body,
      })),
    }),
    () => [
      `Pushes of call ${call.callId} (tenant ${tenant.id}, call_uuid ${call.callUuid}): ${pushes.length}`,
      ...(pushes.length === 0
        ? [
            live && Object.keys(call.deliveries).length > 0
              ? "This call was pushed live: payloads are not stored. `callwake calls show` has each push's outcome."
              : 'None stored: the extension had no device, or the tenant pushes live.',
          ]
        : pushes.flatMap((p) => [
            '',
            `${clock(iso(p.createdAt))}  ${typeOf(p.body)} to ${p.deviceId ?? '?'} (${p.provider ?? '?'})`,
            `  ${p.method ?? 'POST'} ${p.url ?? ''}`,
            ...Object.entries(p.headers ?? {}).map(([k, v]) => `  ${k}: ${v}`),
            ...JSON.stringify(p.body, null, 2)
              .split('\n')
              .map((line) => `  ${line}`),
          ])),
    ],
  );
}

export const pushCommands: Command[] = [
  {
    name: 'calls pushes',
    args: ['tenant', 'call-id'],
    options: [],
    summary: 'the pushes a call sent, with their payloads (outbox mode; tokens masked)',
    run: showPushes,
  },
];
