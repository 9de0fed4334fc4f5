import type { Firestore } from 'firebase-admin/firestore';
import { maskToken } from '../core/devices/registerDevice';
import type { PushMeta, PushSender, RenderedPush, SendResult } from '../core/send/push';
import { paths } from './firestore';

/**
 * The push as stored: identical to what would be sent, with the token masked everywhere (a Web
 * Push endpoint is its token) and a Web Push subscription's keys masked (its `auth` secret would
 * let a reader of the outbox decrypt the pushes).
 */
export function maskedPush(push: RenderedPush): Omit<RenderedPush, 'token'> & { token: string } {
  const masked = maskToken(push.token);
  const keys = push.webPushKeys;
  const json = JSON.stringify({
    ...push,
    token: masked,
    url: push.url.split(push.token).join(masked),
    ...(keys ? { webPushKeys: { p256dh: maskToken(keys.p256dh), auth: '***' } } : {}),
  });
  // The token also sits inside FCM bodies (message.token); replace it wherever it appears.
  return JSON.parse(json.split(push.token).join(masked)) as RenderedPush;
}

/**
 * Outbox mode: records each push in `pushOutbox` instead of sending it, so a
 * local stack shows exactly what Google and Apple would receive.
 */
export class OutboxSender implements PushSender {
  constructor(private readonly db: Firestore) {}

  async send(push: RenderedPush, _deadline: number, meta?: PushMeta): Promise<SendResult> {
    const ref = await this.db.collection(paths.pushOutbox).add({
      ...maskedPush(push),
      tenant: meta?.tenant ?? null,
      callId: meta?.callId ?? null,
      callUuid: meta?.callUuid ?? null,
      deviceId: meta?.deviceId ?? null,
      createdAt: Date.now(),
    });
    // No HTTP status: nothing was sent, and a timeline must not say a provider answered.
    return { kind: 'accepted', providerId: `outbox/${ref.id}` };
  }
}

/** One push as the outbox holds it: what Google or Apple would have received, token masked. */
export interface StoredPush {
  id: string;
  provider?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: unknown;
  deviceId?: string;
  createdAt?: number;
}

/** The pushes the outbox holds for a call, oldest first. */
export async function outboxOfCall(
  db: Firestore,
  tenant: string,
  callUuid: string,
): Promise<StoredPush[]> {
  // Two equality filters need no composite index; the order is made here.
  const snap = await db
    .collection(paths.pushOutbox)
    .where('tenant', '==', tenant)
    .where('callUuid', '==', callUuid)
    .get();
  return snap.docs
    .map((doc) => ({ id: doc.id, ...(doc.data() as Omit<StoredPush, 'id'>) }))
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
}
