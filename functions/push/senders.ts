import { readFileSync } from 'node:fs';
import { APNS_KEY_ID, APNS_TEAM_ID, apnsKey, providerEndpoints, pushMode } from '../config';
import type { PushSender, Provider, SendResult } from '../core/push';
import { OutboxSender } from '../store/outboxSender';
import type { Tenant } from '../store/tenantDirectory';
import { firestore } from '../store/firestore';
import { ApnsSender } from './apnsSender';
import { FcmSender } from './fcmSender';
import { fcmAccessToken } from './fcmAccessToken';

let live: Record<Provider, PushSender> | undefined;
let outbox: Record<Provider, PushSender> | undefined;

/** Answers every push with a permanent failure naming what is missing. */
const unconfigured = (reason: string): PushSender => ({
  send: (): Promise<SendResult> => Promise.resolve({ kind: 'failed', retryable: false, reason }),
});

function makeApns(): PushSender {
  const key = apnsKey();
  const keyId = APNS_KEY_ID.value();
  const teamId = APNS_TEAM_ID.value();
  if (!key.includes('PRIVATE KEY') || !keyId || !teamId) return unconfigured('apns_not_configured');
  const endpoints = providerEndpoints();
  return new ApnsSender({
    key,
    keyId,
    teamId,
    origins: endpoints.apnsOrigins,
    ...(endpoints.apnsCaFile ? { ca: readFileSync(endpoints.apnsCaFile, 'utf8') } : {}),
  });
}

/**
 * The senders for a tenant: live provider clients, or the outbox. Clients are
 * made on first use and kept for the instance's life (one HTTP/2 session to
 * Apple, pooled connections to Google).
 */
export async function sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>> {
  if ((tenant.pushMode ?? pushMode()) === 'outbox') {
    if (!outbox) {
      const sender = new OutboxSender(await firestore());
      outbox = { fcm: sender, apns: sender };
    }
    return outbox;
  }
  live ??= { fcm: new FcmSender({ getAccessToken: fcmAccessToken }), apns: makeApns() };
  return live;
}
