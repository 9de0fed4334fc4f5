import { pushToken, type SimCall } from '../world';
import type { Facts } from './facts';

/**
 * A phone's token is removed only when it is dead for good: every token dropped got a
 * permanent verdict in each place it could belong (FCM's UNREGISTERED, APNs' 410, or APNs'
 * BadDeviceToken from both production and sandbox), and no live token was dropped. At the end,
 * every phone still registered (every change of it acknowledged) holds its live tokens.
 */
export function tokensDroppedOnlyWhenDead(facts: Facts, out: string[]): void {
  const { world } = facts;
  for (const drop of world.landed.filter(
    (l) => l.store === 'devices' && l.method === 'dropToken',
  )) {
    const [, deviceId, token] = drop.args as [string, string, string];
    const verdicts = world.providers.records.filter((r) => r.token === token && r.start <= drop.at);
    const unregistered = verdicts.some((r) => r.outcome === 'unregistered');
    const bad = new Set(verdicts.filter((r) => r.outcome === 'bad_device_token').map((r) => r.env));
    if (!unregistered && !(bad.has('production') && bad.has('sandbox')))
      out.push(`the token of ${deviceId} was dropped without a permanent verdict`);
    const truth = world.tokens.get(token);
    if (truth && !truth.dead && (truth.provider === 'fcm' || truth.env !== undefined))
      out.push(`a live token of ${deviceId} was dropped`);
  }
  for (const phone of world.phones) {
    const churn = facts.churned(phone);
    if (phone.registeredAt === null || phone.deletedAt !== null || churn.unacked) continue;
    const device = facts.final.devices.get(phone.index) ?? null;
    for (const token of [phone.fcmToken, phone.voipToken]) {
      const truth = token === undefined ? undefined : world.tokens.get(token);
      if (!token || !truth || truth.dead || (truth.provider === 'apns' && !truth.env)) continue;
      if (device?.fcmToken !== token && device?.voipToken !== token)
        out.push(`${phone.deviceId} lost its live token ${token.slice(0, 12)}…`);
    }
  }
}

/** A push the phone got is never shown failed on the PBX's timeline. */
export function timelineTrue(facts: Facts, call: SimCall, out: string[]): void {
  const timeline = (facts.view(call)?.timeline ?? []) as {
    device_id: string;
    push_status: string;
  }[];
  for (const phone of facts.world.phones) {
    const rang = facts
      .pushes(call, 'incoming_call')
      .some((r) => r.reached && r.phone === phone.index && r.token === pushToken(phone));
    const entry = timeline.find((t) => t.device_id === phone.deviceId);
    if (rang && entry && (entry.push_status === 'failed' || entry.push_status === 'dead_token'))
      out.push(`${call.callId}: ${phone.deviceId} rang but its push shows ${entry.push_status}`);
  }
}
