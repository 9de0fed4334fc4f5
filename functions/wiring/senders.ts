import { pushMode } from '../config';
import type { Tenant } from '../core/ports';
import type { PushSender, Provider } from '../core/send/push';
import { liveSenders } from '../push/liveSenders';
import { firestore } from '../store/firestore';
import { OutboxSender } from '../store/outboxSender';

let outbox: Record<Provider, PushSender> | undefined;

/** The senders for a tenant: the live provider clients, or the outbox (its PUSH_MODE). */
export async function sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>> {
  if ((tenant.pushMode ?? pushMode()) === 'live') return liveSenders;
  if (!outbox) {
    const sender = new OutboxSender(await firestore());
    outbox = { fcm: sender, apns: sender, webpush: sender, hms: sender };
  }
  return outbox;
}
