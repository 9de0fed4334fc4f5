import { readFileSync } from 'node:fs';
import { APNS_KEY_ID, APNS_TEAM_ID, apnsKey, providerEndpoints, pushMode } from '../config';
import type { PushMeta, PushSender, Provider, RenderedPush, SendResult } from '../core/push';
import { firestore } from '../store/firestore';
import { OutboxSender } from '../store/outboxSender';
import type { Tenant } from '../store/tenantDirectory';
import { fcmAccessTokens } from './fcmAccessToken';

/** Answers every push with a permanent failure naming what is missing. */
const unconfigured = (reason: string): PushSender => ({
  send: (): Promise<SendResult> => Promise.resolve({ kind: 'failed', retryable: false, reason }),
});

/** A sender made on its first push: a function that never sends to Apple never loads its client. */
function lazy(make: () => Promise<PushSender>): PushSender {
  let sender: Promise<PushSender> | undefined;
  return {
    async send(push: RenderedPush, deadline: number, meta?: PushMeta) {
      sender ??= make();
      return (await sender).send(push, deadline, meta);
    },
  };
}

async function makeApns(): Promise<PushSender> {
  const key = apnsKey();
  const keyId = APNS_KEY_ID.value();
  const teamId = APNS_TEAM_ID.value();
  if (!key.includes('PRIVATE KEY') || !keyId || !teamId) return unconfigured('apns_not_configured');
  const endpoints = providerEndpoints();
  const { ApnsSender } = await import('./apnsSender.js');
  return new ApnsSender({
    key,
    keyId,
    teamId,
    origins: endpoints.apnsOrigins,
    ...(endpoints.apnsCaFile ? { ca: readFileSync(endpoints.apnsCaFile, 'utf8') } : {}),
  });
}

async function makeFcm(): Promise<PushSender> {
  const { FcmSender } = await import('./fcmSender.js');
  return new FcmSender({
    getAccessToken: () => fcmAccessTokens.get(),
    invalidateAccessToken: (token) => {
      fcmAccessTokens.invalidate(token);
    },
  });
}

const live: Record<Provider, PushSender> = { fcm: lazy(makeFcm), apns: lazy(makeApns) };
let outbox: Record<Provider, PushSender> | undefined;

/**
 * The senders for a tenant: live provider clients, or the outbox. Clients are
 * kept for the instance's life (one HTTP/2 connection per APNs environment,
 * pooled connections to Google, one cached OAuth token, one APNs provider
 * token shared by every instance).
 */
export async function sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>> {
  if ((tenant.pushMode ?? pushMode()) === 'live') return live;
  if (!outbox) {
    const sender = new OutboxSender(await firestore());
    outbox = { fcm: sender, apns: sender };
  }
  return outbox;
}
