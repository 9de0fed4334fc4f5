import { CANCEL_BUDGET_MS, CANCEL_LEASE_MS } from '../../functions/core/cancelJob';
import type { CancelDeps } from '../../functions/core/cancelCall';
import type { Call, Device } from '../../functions/core/model';
import type { CallStore, DeviceStore } from '../../functions/core/ports';
import type { ApnsEnv, Provider, PushSender } from '../../functions/core/push';
import type { RingDeps } from '../../functions/core/ringFanOut';
import { FakeCallStore } from '../support/fakeCallStore';
import { FakeClock } from '../support/fakeClock';
import { FakeDeviceStore } from '../support/fakeDeviceStore';
import { TEST_ENDPOINTS } from '../support/fakes';
import { SimProviders, type TokenTruth } from './providers';
import { Rng } from './rng';
import {
  faultyStore,
  FaultPlan,
  Run,
  type Budget,
  type FaultCounts,
  type Observation,
} from './runs';
import type { DeviceSpec, Scenario } from './scenario';

export const TENANT = 't';
export const EXTENSION = '100';
export const CALL_ID = 'pbx-call-1';
export const SEND_BUDGET_MS = 8_000;

/** The in-memory maintenance queries of the expiry job (Maintenance in functions/store). */
export interface MaintenanceQueries {
  ringingPastDeadline(now: number): Promise<{ tenant: string; callUuid: string }[]>;
  ringingCalls(now: number): Promise<Call[]>;
  openCancelJobs(): Promise<Call[]>;
}

/** A phone of the schedule: its device record and its tokens. */
export interface SimDevice {
  spec: DeviceSpec;
  device: Device;
  /** The token incoming pushes go to, and the FCM token cancels go to (if any). */
  pushToken: string;
  cancelToken?: string;
}

function makeDevice(spec: DeviceSpec, i: number, seed: number): SimDevice {
  const deviceId = `d${i}`;
  const fcmToken = `fcm-${deviceId}-${seed.toString(36)}`;
  const voipToken = (seed.toString(16) + i.toString(16)).padStart(64, 'a');
  const base = { deviceId, extension: EXTENSION, lastSeenAt: 0 };
  const env: ApnsEnv = spec.registeredEnv;
  switch (spec.kind) {
    case 'android':
      return {
        spec,
        device: { ...base, platform: 'android', fcmToken, apnsEnv: env },
        pushToken: fcmToken,
        cancelToken: fcmToken,
      };
    case 'ios_alert':
      return {
        spec,
        device: { ...base, platform: 'ios', fcmToken, apnsEnv: env },
        pushToken: fcmToken,
        cancelToken: fcmToken,
      };
    case 'ios_voip':
      return {
        spec,
        device: { ...base, platform: 'ios', voipToken, appId: 'com.example.phone', apnsEnv: env },
        pushToken: voipToken,
      };
    case 'ios_voip_fcm':
      return {
        spec,
        device: {
          ...base,
          platform: 'ios',
          voipToken,
          fcmToken,
          appId: 'com.example.phone',
          apnsEnv: env,
        },
        pushToken: voipToken,
        cancelToken: fcmToken,
      };
  }
}

/** Everything one schedule runs against: virtual time, in-memory stores, fake providers. */
export class World {
  readonly clock = new FakeClock(1_700_000_000_000);
  readonly rng: Rng;
  readonly calls: FakeCallStore;
  readonly devices = new FakeDeviceStore();
  readonly providers: SimProviders;
  readonly plan: FaultPlan;
  readonly phones: SimDevice[];
  readonly tokens = new Map<string, TokenTruth>();
  readonly observations: Observation[] = [];
  readonly runs: Run[] = [];
  readonly start: number;

  constructor(
    readonly scenario: Scenario,
    readonly counts: FaultCounts,
  ) {
    this.rng = new Rng(scenario.seed);
    this.calls = new FakeCallStore(this.clock);
    this.start = this.clock.now();
    this.phones = scenario.devices.map((spec, i) => makeDevice(spec, i, scenario.seed));
    for (const phone of this.phones) {
      this.devices.put(TENANT, phone.device);
      const voip = phone.spec.kind === 'ios_voip' || phone.spec.kind === 'ios_voip_fcm';
      this.tokens.set(phone.pushToken, {
        provider: voip ? 'apns' : 'fcm',
        dead: phone.spec.dead,
        ...(voip && phone.spec.trueEnv ? { env: phone.spec.trueEnv } : {}),
      });
      if (phone.cancelToken && phone.cancelToken !== phone.pushToken) {
        this.tokens.set(phone.cancelToken, { provider: 'fcm', dead: false });
      }
    }
    this.plan = new FaultPlan(this.rng, scenario.storeFaultRate, counts);
    this.providers = new SimProviders(
      this.clock,
      this.rng,
      scenario.providerFaultRate,
      this.tokens,
      counts,
    );
  }

  /** A new handler invocation. */
  run(kind: string, budget: Budget | null): Run {
    const run = new Run(this.runs.length + 1, kind, budget);
    this.runs.push(run);
    return run;
  }

  private env() {
    return {
      clock: this.clock,
      rng: this.rng,
      plan: this.plan,
      observations: this.observations,
    };
  }

  callStore(run: Run): CallStore {
    return faultyStore<CallStore>(this.calls, run, this.env(), {
      transactions: ['transition', 'settleAnswer'],
      listeners: ['waitFor'],
      seen: (method, result) => {
        if (method === 'createOnce') return [(result as { call: Call }).call];
        if (method === 'get' || method === 'waitFor') return result ? [result as Call] : [];
        if (method === 'transition') {
          const call = (result as { call: Call } | null)?.call;
          return call ? [call] : [];
        }
        return [];
      },
    });
  }

  deviceStore(run: Run): DeviceStore {
    return faultyStore<DeviceStore>(this.devices, run, this.env(), {
      transactions: ['upsert', 'remove', 'dropToken', 'setApnsEnv'],
      listeners: [],
    });
  }

  maintenance(run: Run): MaintenanceQueries {
    const calls = this.calls;
    const queries: MaintenanceQueries = {
      ringingPastDeadline: (now) =>
        Promise.resolve(
          calls
            .all()
            .filter((c) => c.status === 'ringing' && c.expiresAt <= now)
            .map((c) => ({ tenant: c.tenant, callUuid: c.callUuid })),
        ),
      ringingCalls: (now) =>
        Promise.resolve(calls.all().filter((c) => c.status === 'ringing' && c.expiresAt > now)),
      openCancelJobs: () =>
        Promise.resolve(
          calls.all().filter((c) => c.cancel?.state === 'pending' || c.cancel?.state === 'sending'),
        ),
    };
    return faultyStore(queries, run, this.env(), { transactions: [], listeners: [] });
  }

  senders(run: Run): Record<Provider, PushSender> {
    const sender = this.providers.sender(run);
    return { fcm: sender, apns: sender, webpush: sender, hms: sender };
  }

  ringDeps(run: Run): RingDeps {
    return {
      calls: this.callStore(run),
      devices: this.deviceStore(run),
      senders: this.senders(run),
      endpoints: TEST_ENDPOINTS,
      clock: run.clock(this.clock),
      sendBudgetMs: SEND_BUDGET_MS,
      random: () => this.rng.next(),
    };
  }

  cancelDeps(run: Run): CancelDeps {
    return {
      calls: this.callStore(run),
      devices: this.deviceStore(run),
      senders: this.senders(run),
      endpoints: TEST_ENDPOINTS,
      clock: run.clock(this.clock),
      leaseMs: CANCEL_LEASE_MS,
      sendBudgetMs: CANCEL_BUDGET_MS,
      random: () => this.rng.next(),
    };
  }

  /** Turns every fault off: what follows checks that the system heals. */
  heal(): void {
    this.plan.enabled = false;
    this.providers.faultsEnabled = false;
  }
}
