import type { ChurnSpec } from '../scenario';
import { EXTENSION, type SimPhone, type World } from '../world';
import { callApi, FORM } from './api';

/** The registration a phone's app sends, by the app device route's form fields. */
function registration(phone: SimPhone, withEnv: boolean): string {
  const form = new URLSearchParams({
    platform: phone.spec.kind === 'android' ? 'android' : 'ios',
    extension: EXTENSION,
  });
  if (phone.fcmToken) form.set('fcm_token', phone.fcmToken);
  if (phone.voipToken) {
    form.set('voip_token', phone.voipToken);
    form.set('app_id', 'com.example.phone');
  }
  if (withEnv && phone.voipToken) form.set('apns_env', phone.spec.registeredEnv);
  return form.toString();
}

/**
 * Devices change while calls ring: a phone joins, refreshes its registration, gets a new FCM
 * token (the old one is dead from then on, as FCM's are once replaced), or unregisters. Each
 * change goes through the app's device routes as the phone's user; an app sends its changes
 * one after another.
 */
export function churn(world: World): Promise<void>[] {
  const { clock } = world;
  const queues = new Map<number, Promise<void>>();
  return world.scenario.churn.map(async (spec) => {
    await clock.sleep(spec.at);
    const index = spec.phone % world.phones.length;
    const before = queues.get(index) ?? Promise.resolve();
    const mine = before.then(() => change(world, spec));
    queues.set(index, mine);
    await mine;
  });
}

async function change(world: World, spec: ChurnSpec): Promise<void> {
  const { clock } = world;
  const phone = world.phones[spec.phone % world.phones.length];
  if (phone?.deletedAt !== null) return;
  const registered = phone.registeredAt !== null;
  const record = {
    phone: phone.index,
    kind: spec.kind,
    at: clock.now(),
    ackAt: null as number | null,
  };
  const path = `/v1/app/devices/${phone.deviceId}`;
  const auth = { authorization: `Bearer ${phone.idToken}` };
  let method = 'PUT';
  let body = '';
  if (spec.kind === 'join') {
    if (registered) return;
    body = registration(phone, true);
  } else if (!registered) {
    return;
  } else if (spec.kind === 'refresh') {
    body = registration(phone, false);
  } else if (spec.kind === 'rotate') {
    const old = phone.fcmToken;
    if (!old) return;
    phone.rotations += 1;
    phone.fcmToken = `fcm-${phone.index}-${world.scenario.seed.toString(36)}-${phone.rotations}`;
    const truth = world.tokens.get(old);
    if (truth) truth.dead = true;
    world.learnTokens(phone);
    body = registration(phone, false);
  } else {
    method = 'DELETE';
    phone.deletedAt = clock.now();
  }
  world.churn.push(record);
  const reply = await callApi(
    world,
    `device_${spec.kind}`,
    null,
    { method, path, headers: { ...auth, ...FORM }, body },
    10_000,
  );
  if (reply.httpStatus === null || reply.httpStatus >= 300) return;
  record.ackAt = clock.now();
  if (spec.kind === 'join') phone.registeredAt = record.ackAt;
}
