import { z } from 'zod';
import { deviceView, type DeviceView } from '../../core/devices/registerDevice';
import { LATENCY_BUCKETS_S, OUTCOMES, type Counters } from '../../core/metrics/counters';
import type { Call, Delivery } from '../../core/model';
import { tenantSchema } from '../../core/schemas';
import { requireUser } from '../identity';
import { requireOperator } from '../operator';
import type { ResponseBody, RouteHandler } from '../types';

/** The console's read routes: a signed-in operator, viewer or admin of the tenant. */

export const tenantParams = z.object({ tenant: tenantSchema });
/** Calls a device's health is read from: the tenant's newest. */
const HEALTH_CALLS = 100;
const MAX_DEVICES = 500;
const MAX_MEMBERS = 1_000;

/** GET /v1/console/me: the tenants the signed-in operator holds a role in. */
export const getMe: RouteHandler = async (req, _params, ctx) => {
  const uid = await requireUser(req, ctx);
  const tenants = Object.entries(await ctx.operations.tenantsOf(uid))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tenant, role]) => ({ tenant, role }));
  return { status: 200, body: { uid, tenants } };
};

// A type, not an interface: it is part of a JSON body, which needs an index signature.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
type LastPush = {
  call_id: string;
  at: string;
  status: Delivery['status'];
  provider_status?: number;
  reason?: string;
};

/** Each device's newest push among `calls` (newest first). */
function lastPushes(calls: readonly Call[]): Map<string, LastPush> {
  const last = new Map<string, LastPush>();
  for (const call of calls) {
    for (const [deviceId, d] of Object.entries(call.deliveries)) {
      if (last.has(deviceId)) continue;
      last.set(deviceId, {
        call_id: call.callId,
        at: new Date(d.settledAt ?? d.pushedAt ?? call.createdAt).toISOString(),
        status: d.status,
        ...(d.providerStatus === undefined ? {} : { provider_status: d.providerStatus }),
        ...(d.reason === undefined ? {} : { reason: d.reason }),
      });
    }
  }
  return last;
}

/**
 * GET /v1/console/tenants/{tenant}/devices: every device with its health (tokens masked, as
 * the PBX's list shows them; the owner's uid is not shown), and the members of each extension.
 */
export const getConsoleDevices: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant },
  } = await requireOperator(req, ctx, tenantParams, params, 'viewer');
  const [devices, calls, members] = await Promise.all([
    ctx.operations.devices(tenant, MAX_DEVICES),
    ctx.operations.recentCalls(tenant, HEALTH_CALLS),
    ctx.operations.members(tenant, MAX_MEMBERS),
  ]);
  const last = lastPushes(calls);
  const views = devices
    .map((d): DeviceView & { last_push?: LastPush } => {
      const push = last.get(d.deviceId);
      return { ...deviceView(d), ...(push ? { last_push: push } : {}) };
    })
    .sort(
      (a, b) => a.extension.localeCompare(b.extension) || a.device_id.localeCompare(b.device_id),
    );
  members.sort((a, b) => a.extension.localeCompare(b.extension) || a.uid.localeCompare(b.uid));
  return {
    status: 200,
    body: {
      tenant,
      devices: views.map((v) => ({ ...v })),
      members: members.map((m) => ({ ...m })),
    },
  };
};

function histogram(counters: Counters, name: 'ring' | 'cancel'): ResponseBody {
  const keys = Object.keys(counters).filter((k) => k.startsWith(`${name}|`));
  const sum = (suffix: string) =>
    keys.filter((k) => k.endsWith(`|${suffix}`)).reduce((n, k) => n + (counters[k] ?? 0), 0);
  return {
    le: [...LATENCY_BUCKETS_S.map(String), '+Inf'],
    counts: [...LATENCY_BUCKETS_S, Infinity].map((_le, i) => sum(`b${i}`)),
    count: sum('count'),
    sum_seconds: sum('sum_ms') / 1000,
  };
}

/** GET /v1/console/tenants/{tenant}/metrics: the figures /v1/metrics exposes, as JSON for charts. */
export const getConsoleMetrics: RouteHandler = async (req, params, ctx) => {
  const {
    params: { tenant },
  } = await requireOperator(req, ctx, tenantParams, params, 'viewer');
  const { counters, devices } = await ctx.operations.figures(tenant);
  const pushes = Object.entries(counters)
    .filter(([k]) => k.startsWith('pushes|'))
    .map(([k, count]) => {
      const [, provider = '', kind = '', result = ''] = k.split('|');
      return { provider, kind, result, count };
    })
    .sort((a, b) =>
      `${a.kind}${a.provider}${a.result}`.localeCompare(`${b.kind}${b.provider}${b.result}`),
    );
  return {
    status: 200,
    body: {
      tenant,
      calls: Object.fromEntries(OUTCOMES.map((o) => [o, counters[`calls|${o}`] ?? 0])),
      pushes,
      ring_latency: histogram(counters, 'ring'),
      cancel_latency: histogram(counters, 'cancel'),
      devices: { ...devices },
    },
  };
};
