import { CALL_RETENTION_DAYS, PUSH_SEND_BUDGET_MS, pushEndpoints, pushMode } from '../config';
import type { Delivery } from '../core/model';
import { deviceIdSchema } from '../core/schemas';
import { ringOneDevice, testCallId } from '../core/ring/testRing';
import { sendersFor } from '../wiring/senders';
import { FirestoreCallStore } from '../store/callStore';
import { FirestoreDeviceStore } from '../store/deviceStore';
import { checked, emit, type Invocation } from './command';
import { existingTenant } from './context';
import { CliError } from './errors';

/**
 * A param read outside the functions runtime, which is what applies
 * declared defaults: the environment's value, else the default.
 */
function intParam(param: { value(): number; options: { default?: unknown } }): number {
  const fallback = param.options.default;
  return param.value() || (typeof fallback === 'number' ? fallback : 0);
}

// The APNs key (a secret) and its ids (params): environment variables outside the functions
// runtime; unset ones would only log warnings.
const APNS_SETTINGS = ['APNS_KEY', 'APNS_KEY_ID', 'APNS_TEAM_ID'];

function outcome(d: Delivery): string {
  const via = d.provider === 'apns' ? 'APNs' : 'FCM';
  const detail = [d.providerStatus && `HTTP ${d.providerStatus}`, d.reason]
    .filter(Boolean)
    .join(', ');
  switch (d.status) {
    case 'accepted':
      return d.providerId?.startsWith('outbox/')
        ? `stored in ${d.providerId.replace('outbox/', 'pushOutbox/')} (outbox mode: nothing was sent)`
        : `accepted by ${via}${detail ? ` (${detail})` : ''}`;
    case 'dead_token':
      return `refused by ${via}: the token is dead (${detail}); callwake removed it from the device, as on a real call`;
    default:
      return `not delivered by ${via} (${detail || d.status})`;
  }
}

/**
 * `devices test-push`: a real incoming call to one device, through the ring
 * path the API uses (render, the tenant's senders, retries, the call's
 * timeline), so the app can acknowledge and answer it like any call.
 */
export async function testPush(inv: Invocation): Promise<void> {
  const { db } = inv.ctx;
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const deviceId = checked(deviceIdSchema, 'device-id', inv.args['device-id'] ?? '');
  const devices = new FirestoreDeviceStore(db);
  const device = await devices.get(tenant.id, deviceId);
  if (!device) {
    throw new CliError(
      `Tenant ${tenant.id} has no device "${deviceId}": \`callwake devices list ${tenant.id}\` shows its devices.`,
    );
  }
  const mode = tenant.pushMode ?? pushMode();
  const apnsUnset = APNS_SETTINGS.filter((name) => !process.env[name]);
  if (mode === 'live' && device.platform === 'ios' && device.voipToken && apnsUnset.length > 0) {
    throw new CliError(
      `A live PushKit push needs the APNs key: set ${apnsUnset.join(', ')} in the environment (the deployment's APNS_KEY secret and its APNS_KEY_ID and APNS_TEAM_ID params).`,
    );
  }
  const calls = new FirestoreCallStore(db, () => intParam(CALL_RETENTION_DAYS));
  const answer = await ringOneDevice(tenant.id, device, testCallId(Date.now()), {
    calls,
    devices,
    senders: await sendersFor(tenant),
    endpoints: pushEndpoints(),
    sendBudgetMs: intParam(PUSH_SEND_BUDGET_MS),
  });
  const call = await calls.get(tenant.id, answer.call_uuid);
  const delivery: Delivery | undefined = call?.deliveries[deviceId];
  emit(
    inv,
    () => ({
      tenant: tenant.id,
      device_id: deviceId,
      push_mode: mode,
      call_id: answer.call_id,
      call_uuid: answer.call_uuid,
      push_status: delivery?.status ?? null,
      provider: delivery?.provider ?? null,
      provider_status: delivery?.providerStatus ?? null,
      reason: delivery?.reason ?? null,
      outbox_id: delivery?.providerId?.replace(/^outbox\//, '') ?? null,
    }),
    () =>
      delivery
        ? [
            `Test call ${answer.call_id} to device ${deviceId} (${device.platform}, extension ${device.extension}) of tenant ${tenant.id}, push mode ${mode}: ${outcome(delivery)}.`,
            `\`callwake calls show ${tenant.id} ${answer.call_id}\` shows whether the app acknowledged it; unanswered, it becomes a missed call when its ring time ends.`,
          ]
        : [],
  );
  if (!delivery) {
    throw new CliError(
      `Device ${deviceId} has no token callwake can push to (a PushKit token also needs the app id).`,
    );
  }
  if (delivery.status !== 'accepted') {
    throw new CliError(`The test push to device ${deviceId} failed: ${outcome(delivery)}.`);
  }
}
