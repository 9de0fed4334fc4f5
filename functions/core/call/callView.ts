import type { Call } from '../model';

// Types, not interfaces: a JSON answer's body must be assignable to an index signature.
/* eslint-disable @typescript-eslint/consistent-type-definitions */

/** One device's lane of a call: pushed → provider answered → delivered → answered, and its cancel. */
export type TimelineEntry = {
  device_id: string;
  platform?: string;
  provider?: string;
  kind?: string;
  push_status?: string;
  attempts?: number;
  provider_status?: number;
  reason?: string;
  pushed_at?: string;
  provider_answered_at?: string;
  delivered_at?: string;
  answer?: string;
  answered_at?: string;
  late?: boolean;
  cancel_status?: string;
};

/** The call as the PBX sees it (GET /v1/calls/{id}); the console draws the same. */
export type CallView = {
  status: string;
  call_id: string;
  call_uuid: string;
  extension: string;
  devices: number;
  pushed: number;
  answered_by?: string;
  end_reason?: string;
  expires_at?: string;
  timeline?: TimelineEntry[];
};
/* eslint-enable @typescript-eslint/consistent-type-definitions */

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Drops absent values, so JSON answers carry only the keys that apply. */
function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

/** The call as the PBX sees it; with `timeline`, each device's pushed → delivered → answered. */
export function callView(call: Call, timeline: boolean): CallView {
  return compact({
    status: call.status,
    call_id: call.callId,
    call_uuid: call.callUuid,
    extension: call.extension,
    devices: call.devices,
    pushed: call.pushed,
    answered_by: call.answeredBy,
    end_reason: call.endReason,
    expires_at: iso(call.expiresAt),
    ...(timeline
      ? {
          timeline: Object.entries(call.deliveries)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([deviceId, d]) =>
              compact({
                device_id: deviceId,
                platform: d.platform,
                provider: d.provider,
                kind: d.kind,
                push_status: d.status,
                attempts: d.attempts,
                provider_status: d.providerStatus,
                reason: d.reason,
                pushed_at: iso(d.pushedAt),
                provider_answered_at: iso(d.settledAt),
                delivered_at: iso(d.deliveredAt),
                answer: d.answer,
                answered_at: iso(d.answeredAt),
                late: d.late,
                cancel_status: call.cancels?.[deviceId]?.status,
              }),
            ),
        }
      : {}),
  });
}
