import fc from 'fast-check';
import type { ApnsEnv } from '../../functions/core/push';

/** One phone of the extension, and the truth about its tokens. */
export interface DeviceSpec {
  kind: 'android' | 'ios_voip' | 'ios_voip_fcm' | 'ios_alert';
  /** The APNs environment the device registered with (VoIP only)... */
  registeredEnv: ApnsEnv;
  /** ...and the one its PushKit token really belongs to; null: a garbage token, bad in both. */
  trueEnv: ApnsEnv | null;
  /** The provider says the token is unregistered for good. */
  dead: boolean;
}

export interface AnswerSpec {
  device: number;
  action: 'accept' | 'decline';
  /** Virtual ms after the first POST. */
  at: number;
  via: 'firestore' | 'https';
}

/** One schedule: who does what, when, and how often things fail. */
export interface Scenario {
  seed: number;
  ringTimeout: number;
  devices: DeviceSpec[];
  /** Probability that a store call fails (one of: throws, lands then times out, kills the run, is slow). */
  storeFaultRate: number;
  /** Probability that a provider request fails (5xx/429, lost reply, timeout, reset, hang). */
  providerFaultRate: number;
  /** Delays before each PBX retry of a failed POST /v1/calls (cycled). */
  retryDelays: number[];
  /** Extra copies of the POST (SIP retransmissions, a second proxy), at these times. */
  duplicatesAt: number[];
  /** The PBX cancels (the caller hung up), at this time. */
  cancelAt: number | null;
  /** The PBX tells callwake about its own timeout at the ring deadline. */
  pbxTimeoutCancel: boolean;
  answers: AnswerSpec[];
  /** Expiry-and-sweep job runs, at these times. */
  jobsAt: number[];
  /** Trigger deliveries: how late, and how often twice. */
  triggerDelayMax: number;
  duplicateDeliveryRate: number;
}

const device: fc.Arbitrary<Omit<DeviceSpec, 'dead'>> = fc.record({
  kind: fc.constantFrom('android', 'ios_voip', 'ios_voip_fcm', 'ios_alert'),
  registeredEnv: fc.constantFrom<ApnsEnv>('production', 'sandbox'),
  trueEnv: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<ApnsEnv>('production', 'sandbox') },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

const times = (max: number, n: number) =>
  fc.array(fc.integer({ min: 0, max }), { maxLength: n }).map((a) => a.sort((x, y) => x - y));

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    ringTimeout: fc.integer({ min: 5, max: 40 }),
    devices: fc.array(
      fc.record({
        spec: device,
        dead: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    storeFaultRate: fc.constantFrom(0, 0.02, 0.08, 0.2),
    providerFaultRate: fc.constantFrom(0, 0.05, 0.2, 0.4),
    retryDelays: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 3 }),
    duplicatesAt: times(8_000, 3),
    cancelAt: fc.option(fc.integer({ min: 0, max: 45_000 }), { nil: null }),
    pbxTimeoutCancel: fc.boolean(),
    answers: fc.array(
      fc.record({
        device: fc.nat(3),
        action: fc.constantFrom<'accept' | 'decline'>('accept', 'accept', 'decline'),
        at: fc.integer({ min: 0, max: 45_000 }),
        via: fc.constantFrom<'firestore' | 'https'>('firestore', 'https'),
      }),
      { maxLength: 3 },
    ),
    jobsAt: times(60_000, 4),
    triggerDelayMax: fc.constantFrom(50, 2_000, 15_000),
    duplicateDeliveryRate: fc.constantFrom(0, 0.3),
  })
  .map(({ devices, ...rest }) => ({
    ...rest,
    devices: devices.map(({ spec, dead }) => ({ ...spec, dead })),
  }));
