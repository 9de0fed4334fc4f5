import { createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApnsWorld } from './apnsWorld';
import { FakeApns } from './fakeApns';
import { FakeFcm, type FcmRecordedRequest } from './fakeFcm';
import { FakeHms } from './fakeHms';
import { FakeWebPush } from './fakeWebPush';
import { localConfig } from './emulator';
import { PROJECT_ID } from './project';

/** The fake providers the emulated functions push to (ports come from scripts/test-env.mjs). */
export interface Providers {
  fcm: FakeFcm;
  apns: { production: FakeApns; sandbox: FakeApns };
  webPush: FakeWebPush;
  hms: FakeHms;
}

let providers: Providers | undefined;

function portOf(origin: string | undefined, name: string): number {
  if (!origin)
    throw new Error(`${name} is not set: run the integration tests through \`npm test\`.`);
  return Number(new URL(origin).port);
}

/** Starts the fakes once per run, on the ports the functions were told about. */
export async function startProviders(): Promise<Providers> {
  if (providers) return providers;
  const env = process.env;
  const secrets = localConfig();
  const apnsOptions = {
    keyId: secrets.APNS_KEY_ID!,
    teamId: secrets.APNS_TEAM_ID!,
    publicKey: createPublicKey(secrets.APNS_KEY!),
    // One Apple: device-token environments and provider-token updates span both hosts.
    world: new ApnsWorld(),
  };
  const fcm = new FakeFcm({
    accessToken: env.CALLWAKE_FCM_ACCESS_TOKEN ?? '',
    projectId: PROJECT_ID,
  });
  const production = new FakeApns({ ...apnsOptions, environment: 'production' });
  const sandbox = new FakeApns({ ...apnsOptions, environment: 'sandbox' });
  await fcm.start(portOf(env.CALLWAKE_FCM_ORIGIN, 'CALLWAKE_FCM_ORIGIN'));
  const { ca } = await production.start(
    portOf(env.CALLWAKE_APNS_PRODUCTION_ORIGIN, 'CALLWAKE_APNS_PRODUCTION_ORIGIN'),
  );
  await sandbox.start(portOf(env.CALLWAKE_APNS_SANDBOX_ORIGIN, 'CALLWAKE_APNS_SANDBOX_ORIGIN'));
  writeCa(env.CALLWAKE_APNS_CA_FILE, 'CALLWAKE_APNS_CA_FILE', ca);
  const webPush = new FakeWebPush();
  const testOrigin = (env.CALLWAKE_WEBPUSH_TEST_ORIGINS ?? '').split(',')[0];
  const pushService = await webPush.start(portOf(testOrigin, 'CALLWAKE_WEBPUSH_TEST_ORIGINS'));
  writeCa(env.CALLWAKE_WEBPUSH_CA_FILE, 'CALLWAKE_WEBPUSH_CA_FILE', pushService.ca);
  const hms = new FakeHms({
    clientId: secrets.HMS_CLIENT_ID!,
    clientSecret: secrets.HMS_CLIENT_SECRET!,
  });
  await hms.start(portOf(env.CALLWAKE_HMS_ORIGIN, 'CALLWAKE_HMS_ORIGIN'));
  providers = { fcm, apns: { production, sandbox }, webPush, hms };
  return providers;
}

/** Writes a fake's certificate where the functions are told to find it. */
function writeCa(file: string | undefined, name: string, pem: string): void {
  if (!file) throw new Error(`${name} is not set.`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, pem);
}

export async function stopProviders(): Promise<void> {
  if (!providers) return;
  const { fcm, apns, webPush, hms } = providers;
  providers = undefined;
  await Promise.all([
    fcm.close(),
    apns.production.close(),
    apns.sandbox.close(),
    webPush.close(),
    hms.close(),
  ]);
}

/** The FCM v1 `message` a recorded request carried. */
export interface FcmMessage {
  data: Record<string, string>;
  android?: Record<string, string>;
  apns?: { headers: Record<string, string>; payload: { aps: Record<string, unknown> } };
}

export const fcmMessage = (request: FcmRecordedRequest) =>
  (request.body as { message: FcmMessage }).message;

/** The cancel pushes (`type` call_cancelled) the fake FCM received for a token. */
export const cancelPushes = (fcm: FakeFcm, token: string) =>
  fcm.requestsFor(token).filter((r) => fcmMessage(r).data.type === 'call_cancelled');
