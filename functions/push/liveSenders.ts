import { readFileSync } from 'node:fs';
import {
  APNS_KEY_ID,
  APNS_TEAM_ID,
  HMS_CLIENT_ID,
  HMS_CLIENT_SECRET,
  VAPID_KEY,
  WEBPUSH_SUBJECT,
  apnsKey,
  providerEndpoints,
} from '../config';
import type { PushMeta, PushSender, Provider, RenderedPush, SendResult } from '../core/send/push';
import { fcmAccessTokens } from './fcmAccessToken';

/** Answers every push with a permanent failure naming what is missing. */
const unconfigured = (reason: string): PushSender => ({
  send: (): Promise<SendResult> => Promise.resolve({ kind: 'failed', retryable: false, reason }),
});

/**
 * A sender made on its first push: a function that never sends to Apple never loads its client.
 * A make that threw is tried again on the next push rather than remembered.
 */
function lazy(make: () => PushSender): PushSender {
  let sender: PushSender | undefined;
  return {
    send(push: RenderedPush, deadline: number, meta?: PushMeta) {
      sender ??= make();
      return sender.send(push, deadline, meta);
    },
  };
}

/**
 * The clients are loaded with a lazy require, not `import()`: under a CommonJS loader hook
 * (tsx in the tests) a dynamic import goes to Node's ESM loader, which does not find
 * `./fcmSender.js` beside a .ts source, so every push from the test process failed.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const loadApns = () => require('./apnsSender') as typeof import('./apnsSender');
const loadFcm = () => require('./fcmSender') as typeof import('./fcmSender');
const loadWebPush = () => require('./webPushSender') as typeof import('./webPushSender');
const loadHms = () => require('./hmsSender') as typeof import('./hmsSender');
const loadHmsTokens = () => require('./hmsAccessToken') as typeof import('./hmsAccessToken');
const loadVapidKey = () => require('./vapidKey') as typeof import('./vapidKey');
/* eslint-enable @typescript-eslint/no-require-imports */

function makeApns(): PushSender {
  const key = apnsKey();
  const keyId = APNS_KEY_ID.value();
  const teamId = APNS_TEAM_ID.value();
  if (!key.includes('PRIVATE KEY') || !keyId || !teamId) return unconfigured('apns_not_configured');
  const endpoints = providerEndpoints();
  const { ApnsSender } = loadApns();
  return new ApnsSender({
    key,
    keyId,
    teamId,
    origins: endpoints.apnsOrigins,
    ...(endpoints.apnsCaFile ? { ca: readFileSync(endpoints.apnsCaFile, 'utf8') } : {}),
  });
}

function makeFcm(): PushSender {
  const { FcmSender } = loadFcm();
  return new FcmSender({
    getAccessToken: () => fcmAccessTokens.get(),
    invalidateAccessToken: (token) => {
      fcmAccessTokens.invalidate(token);
    },
  });
}

/** Web Push needs the VAPID key pair and a contact for push services (WEBPUSH_SUBJECT). */
function makeWebPush(): PushSender {
  const subject = WEBPUSH_SUBJECT.value();
  let keys;
  try {
    keys = loadVapidKey().parseVapidKey(VAPID_KEY.value());
  } catch {
    return unconfigured('webpush_not_configured');
  }
  if (!/^(mailto:|https:)/.test(subject)) return unconfigured('webpush_not_configured');
  const endpoints = providerEndpoints();
  const { WebPushSender } = loadWebPush();
  return new WebPushSender({
    vapid: { ...keys, subject },
    testOrigins: endpoints.webPushTestOrigins,
    ...(endpoints.webPushCaFile ? { ca: readFileSync(endpoints.webPushCaFile, 'utf8') } : {}),
  });
}

function makeHms(): PushSender {
  if (!HMS_CLIENT_ID.value() || !HMS_CLIENT_SECRET.value()) {
    return unconfigured('hms_not_configured');
  }
  const { HmsSender } = loadHms();
  return new HmsSender(loadHmsTokens().hmsAccessTokens);
}

/**
 * The live provider clients, kept for the instance's life (one HTTP/2 connection per APNs
 * environment, pooled connections to Google, one cached OAuth token, one APNs provider token
 * shared by every instance).
 */
export const liveSenders: Record<Provider, PushSender> = {
  fcm: lazy(makeFcm),
  apns: lazy(makeApns),
  webpush: lazy(makeWebPush),
  hms: lazy(makeHms),
};
