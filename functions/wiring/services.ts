import { CALL_RETENTION_DAYS, PBX_API_KEY, PUSH_SEND_BUDGET_MS, pushEndpoints } from '../config';
import { systemClock, type Clock } from '../core/clock';
import { type CallStore, type DeviceStore, type LongPolls, type Tenant } from '../core/ports';
import type { PushSender, Provider } from '../core/send/push';
import type { PushEndpoints } from '../core/render/incomingPush';
import { sendersFor } from './senders';
import { FirestoreCallStore } from '../store/callStore';
import { FirestoreDeviceStore } from '../store/deviceStore';
import { firestore } from '../store/firestore';
import { FirestoreLongPolls } from '../store/longPolls';
import { Maintenance } from '../store/maintenance';
import { FirestoreMemberStore } from '../store/memberStore';
import { callLogLines } from '../store/callLog';
import { withDeadline } from '../store/deadline';
import { callsWithDeadline, devicesWithDeadline } from '../store/storeDeadlines';
import { eventStoreBudget } from './budgets';
import { TenantDirectory } from '../store/tenantDirectory';
import type { EventServices } from '../triggers/eventServices';

/** Everything the functions share, wired once per instance. */
export interface Services {
  tenants: TenantDirectory;
  devices: FirestoreDeviceStore;
  calls: FirestoreCallStore;
  members: FirestoreMemberStore;
  /** The scheduled jobs' queries across every tenant. */
  maintenance: Maintenance;
  sendersFor(tenant: Tenant): Promise<Record<Provider, PushSender>>;
  endpoints: PushEndpoints;
  sendBudgetMs: number;
  clock: Clock;
  /**
   * The stores for triggers and scheduled jobs: every call bounded, so a stuck one fails the
   * run quickly and the platform retries the event (the triggers set `retry: true`) instead of
   * holding it until the function's timeout.
   */
  events: { calls: CallStore; devices: DeviceStore; longPolls: Pick<LongPolls, 'watching'> };
}

/** 5 s per store call once warm; 15 s for a cold instance's first (eventStoreBudget). */
const eventBudget = eventStoreBudget();

let services: Promise<Services> | undefined;

async function make(): Promise<Services> {
  const db = await firestore();
  const { logger } = await import('firebase-functions/v2');
  // Once per instance: the Node it runs on, for operators (and npm test) to check against the
  // deploy runtime.
  logger.info('instance started', {
    node: process.version,
    function: process.env.FUNCTION_TARGET ?? '',
  });
  const devices = new FirestoreDeviceStore(db);
  const calls = new FirestoreCallStore(
    db,
    () => CALL_RETENTION_DAYS.value(),
    systemClock,
    (call, seen) => {
      for (const line of callLogLines(call, seen)) logger.info(line.message, line.fields);
    },
  );
  return {
    tenants: new TenantDirectory(db, () => PBX_API_KEY.value()),
    devices,
    calls,
    events: {
      calls: callsWithDeadline(calls, eventBudget),
      devices: devicesWithDeadline(devices, eventBudget),
      longPolls: withDeadline(new FirestoreLongPolls(db), eventBudget),
    },
    members: new FirestoreMemberStore(db),
    maintenance: new Maintenance(db),
    sendersFor,
    endpoints: pushEndpoints(),
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

/** What the triggers and scheduled jobs run on, over the shared services. */
export async function eventServices(): Promise<EventServices> {
  const services = await getServices();
  const { logger } = await import('firebase-functions/v2');
  return {
    ...services.events,
    sendersFor: async (tenant) => services.sendersFor(await services.tenants.tenant(tenant)),
    endpoints: services.endpoints,
    sendBudgetMs: services.sendBudgetMs,
    clock: services.clock,
    random: Math.random,
    log: logger,
  };
}
