import { createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApnsWorld } from './apnsWorld';
import { FakeApns } from './fakeApns';
import { FakeFcm, type FcmRecordedRequest } from './fakeFcm';
import { localConfig } from './emulator';

/** The fake providers the emulated functions push to (ports come from scripts/test-env.mjs). */
export interface Providers {
  fcm: FakeFcm;
  apns: { production: FakeApns; sandbox: FakeApns };
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
    projectId: 'demo-callwake',
  });
  const production = new FakeApns({ ...apnsOptions, environment: 'production' });
  const sandbox = new FakeApns({ ...apnsOptions, environment: 'sandbox' });
  await fcm.start(portOf(env.CALLWAKE_FCM_ORIGIN, 'CALLWAKE_FCM_ORIGIN'));
  const { ca } = await production.start(
    portOf(env.CALLWAKE_APNS_PRODUCTION_ORIGIN, 'CALLWAKE_APNS_PRODUCTION_ORIGIN'),
  );
  await sandbox.start(portOf(env.CALLWAKE_APNS_SANDBOX_ORIGIN, 'CALLWAKE_APNS_SANDBOX_ORIGIN'));
  const caFile = env.CALLWAKE_APNS_CA_FILE;
  if (!caFile) throw new Error('CALLWAKE_APNS_CA_FILE is not set.');
  mkdirSync(dirname(caFile), { recursive: true });
  writeFileSync(caFile, ca);
  providers = { fcm, apns: { production, sandbox } };
  return providers;
}

export async function stopProviders(): Promise<void> {
  if (!providers) return;
  const { fcm, apns } = providers;
  providers = undefined;
  await Promise.all([fcm.close(), apns.production.close(), apns.sandbox.close()]);
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
