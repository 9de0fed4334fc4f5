import type { CallStore, DeviceStore } from '../../functions/core/ports';
import type { Provider, PushSender } from '../../functions/core/send/push';
import type { ApiContext } from '../../functions/http/types';
import type { ExpiryQueries } from '../../functions/scheduled/runExpiry';
import { withDeadline } from '../../functions/store/deadline';
import { callsWithDeadline, devicesWithDeadline } from '../../functions/store/storeDeadlines';
import type { EventServices } from '../../functions/triggers/eventServices';
import type { Call } from '../../functions/core/model';
import {
  FakePairingStore,
  FakeRateLimiter,
  FakeReplayGuard,
  TEST_ENDPOINTS,
  TEST_PUSH_DEPLOYMENT,
  TEST_VAPID_PUBLIC_KEY,
} from '../support/fakes';
import { FakeOperations } from '../support/fakeOperations';
import type { Run } from './instances';
import { countingErrors, faultyStore } from './storeLayer';
import type { Backend } from './backend';
import { API_KEY, SEND_BUDGET_MS, type World } from './world';

/**
 * The ports one run sees, as functions/wiring/services.ts and functions/wiring/apiContext.ts build them for a
 * deployed instance: the world's stores behind the store layer's faults and the production
 * store deadlines (on the run's clock, with its instance's budget), its senders, its clock.
 */

export function callStore(world: World, run: Run): CallStore {
  const faulty = faultyStore<CallStore>(world.backend.calls, run, world.storeEnv(), {
    store: 'calls',
    listeners: ['waitFor'],
    subscriptions: ['watchAnswers'],
    seen: (method, result) => {
      const call =
        method === 'createOnce' || method === 'transition'
          ? (result as { call?: Call } | null)?.call
          : method === 'get' || method === 'waitFor'
            ? (result as Call | null)
            : undefined;
      return call
        ? [{ callUuid: call.callUuid, status: call.status, expiresAt: call.expiresAt }]
        : [];
    },
  });
  return countingErrors(
    callsWithDeadline(faulty, run.instance.budget, world.runClock(run)),
    run,
    world.clock,
  );
}

export function deviceStore(world: World, run: Run): DeviceStore {
  const faulty = faultyStore<DeviceStore>(world.backend.devices, run, world.storeEnv(), {
    store: 'devices',
  });
  return countingErrors(
    devicesWithDeadline(faulty, run.instance.budget, world.runClock(run)),
    run,
    world.clock,
  );
}

/**
 * A store with no transactions of its own, as wiring/apiContext.ts and wiring/services.ts build it: behind the store
 * layer (its faults, and virtual time held while the emulator answers) and the production
 * deadline. The members; the tenant's call counts (the ring path's admission); the long-polls,
 * shared by every instance.
 */
function plainStore<K extends 'members' | 'callCounts' | 'longPolls'>(
  world: World,
  run: Run,
  store: K,
): Backend[K] {
  const faulty = faultyStore<Backend[K]>(world.backend[store], run, world.storeEnv(), { store });
  return countingErrors(
    withDeadline(faulty, run.instance.budget, { clock: world.runClock(run) }),
    run,
    world.clock,
  );
}

export function queries(world: World, run: Run): ExpiryQueries {
  return countingErrors(
    faultyStore<ExpiryQueries>(world.backend.queries, run, world.storeEnv(), { store: 'queries' }),
    run,
    world.clock,
  );
}

export function senders(world: World, run: Run): Record<Provider, PushSender> {
  const sender = world.providers.sender(run, world.runClock(run));
  return { fcm: sender, apns: sender, webpush: sender, hms: sender };
}

/** The api function's context for one request (functions/wiring/apiContext.ts builds the real one). */
export function apiContext(world: World, run: Run): ApiContext {
  return {
    resolveApiKey: (key) => Promise.resolve(key === API_KEY ? { id: world.tenant } : null),
    verifyIdToken: (token) => {
      const phone = world.phones.find((p) => p.idToken === token);
      return Promise.resolve(phone ? { uid: phone.uid } : null);
    },
    tenant: (id) => Promise.resolve({ id }),
    devices: deviceStore(world, run),
    calls: callStore(world, run),
    members: plainStore(world, run, 'members'),
    pairing: new FakePairingStore(),
    rateLimiter: new FakeRateLimiter(),
    // The PBX authenticates with its API key here; signing, replays and the tenant's limits have
    // their own unit and emulator suites, and a schedule's few calls stay far below the limits.
    resolveSigningKey: () => Promise.resolve(null),
    replays: new FakeReplayGuard(),
    callCounts: plainStore(world, run, 'callCounts'),
    longPolls: plainStore(world, run, 'longPolls'),
    // Every app user of a schedule is a member of its one extension: it has been used.
    extensions: { everUsed: () => Promise.resolve(true) },
    // The console's and the metrics' routes: no schedule calls them.
    operations: new FakeOperations(),
    // Nor does a schedule register a browser.
    vetWebPushEndpoint: () => Promise.reject(new Error('no Web Push endpoint in a schedule')),
    vapidPublicKey: () => TEST_VAPID_PUBLIC_KEY,
    callRate: run.instance.callRate,
    sendersFor: () => Promise.resolve(senders(world, run)),
    endpoints: TEST_ENDPOINTS,
    sendBudgetMs: SEND_BUDGET_MS,
    pushDeployment: TEST_PUSH_DEPLOYMENT,
    clock: world.runClock(run),
    random: () => world.rng.next(),
    reportError: () => undefined,
  };
}

/** What a trigger or the expiry job runs on (functions/wiring/services.ts builds the real one). */
export function eventServices(world: World, run: Run): EventServices {
  const quiet = () => undefined;
  return {
    calls: callStore(world, run),
    devices: deviceStore(world, run),
    longPolls: plainStore(world, run, 'longPolls'),
    sendersFor: () => Promise.resolve(senders(world, run)),
    endpoints: TEST_ENDPOINTS,
    sendBudgetMs: SEND_BUDGET_MS,
    clock: world.runClock(run),
    random: () => world.rng.next(),
    log: { info: quiet, warn: quiet, error: quiet },
  };
}
