import {
  CALL_RETENTION_DAYS,
  PBX_API_KEY,
  PUSH_SEND_BUDGET_MS,
  projectId,
  providerEndpoints,
} from './config';
import type { Clock } from './core/deliver';
import { systemClock } from './core/deliver';
import type { PushSender, Provider } from './core/push';
import type { PushEndpoints } from './core/render';
import { sendersFor } from './push/senders';
import { FirestoreCallStore } from './store/callStore';
import { FirestoreDeviceStore } from './store/deviceStore';
import { firestore } from './store/firestore';
import { FirestoreMemberStore } from './store/memberStore';
import { TenantDirectory, type Tenant } from './store/tenantDirectory';

/** Everything the functions share, wired once per instance. */
export interface Services {
  tenants: TenantDirectory;
  devices: FirestoreDeviceStore;
  calls: FirestoreCallStore;
  members: FirestoreMemberStore;
  sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>>;
  endpoints: PushEndpoints;
  sendBudgetMs: number;
  clock: Clock;
}

let services: Promise<Services> | undefined;

async function make(): Promise<Services> {
  const db = await firestore();
  const endpoints = providerEndpoints();
  return {
    tenants: new TenantDirectory(db, () => PBX_API_KEY.value()),
    devices: new FirestoreDeviceStore(db),
    calls: new FirestoreCallStore(db, () => CALL_RETENTION_DAYS.value()),
    members: new FirestoreMemberStore(db),
    sendersFor,
    endpoints: {
      projectId: projectId(),
      fcmOrigin: endpoints.fcmOrigin,
      apnsOrigins: endpoints.apnsOrigins,
    },
    sendBudgetMs: PUSH_SEND_BUDGET_MS.value(),
    clock: systemClock,
  };
}

/** The shared services, made on first use (never at import: cold starts and tests rely on it). */
export function getServices(): Promise<Services> {
  services ??= make().catch((err: unknown) => {
    services = undefined;
    throw err;
  });
  return services;
}
