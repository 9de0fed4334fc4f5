import fc from 'fast-check';
import type { ApnsEnv } from '../../functions/core/send/push';

/** One phone of the extension, and the truth about its tokens. */
export interface PhoneSpec {
  kind: 'android' | 'ios_voip' | 'ios_voip_fcm' | 'ios_alert';
  /** The APNs environment it registers with (VoIP only)... */
  registeredEnv: ApnsEnv;
  /** ...and the one its PushKit token really belongs to; null: a garbage token, bad in both. */
  trueEnv: ApnsEnv | null;
  /** The provider says its push token is unregistered for good (the app was uninstalled). */
  dead: boolean;
  /** Registered before the calls start; false: it joins while they ring (churn). */
  registered: boolean;
  /** The provider takes seconds to answer for this phone (APNs may hold a request). */
  slow: boolean;
  /** Its first requests get a transient error (so a verdict lands at the last attempt). */
  failFirst: number;
}

export interface AnswerSpec {
  phone: number;
  action: 'accept' | 'decline';
  /** Virtual ms after the phone first rang for the call. */
  after: number;
  via: 'firestore' | 'https';
}

/** One call to the extension, and what the PBX and the apps do with it. */
export interface CallSpec {
  /** Virtual ms after the schedule's start. */
  at: number;
  ringTimeout: number;
  /** The PBX retries a POST /v1/calls that failed (Asterisk's include never does). */
  pbxRetries: boolean;
  retryDelays: number[];
  /** Extra copies of the POST (SIP retransmissions, a second proxy), ms after `at`. */
  duplicatesAt: number[];
  /** The caller hangs up: POST .../cancel reason=hangup, ms after `at`. */
  hangupAt: number | null;
  /** The PBX gives up at its own ring deadline: POST .../cancel reason=timeout. */
  timeoutCancel: boolean;
  /** The PBX long-polls the call's state (GET ?wait=), as the Asterisk include does. */
  longPoll: boolean;
  answers: AnswerSpec[];
  /** The instance serving the first POST dies this many ms after `at` (mid-push, often). */
  crashCreatorAt: number | null;
  /**
   * The instance serving the first POST dies as its incoming pushes leave, which take the
   * network's longest (IN_FLIGHT_MS) to land, and the caller hangs up then: the cancel races
   * pushes that a dead holder sent and can never record.
   */
  creatorDiesInFlight: boolean;
}

/** A phone registers, refreshes, changes its FCM token or unregisters while calls ring. */
export interface ChurnSpec {
  at: number;
  phone: number;
  kind: 'refresh' | 'rotate' | 'delete' | 'join';
}

/** One schedule: who does what, when, and how often things fail. */
export interface Scenario {
  seed: number;
  phones: PhoneSpec[];
  calls: CallSpec[];
  churn: ChurnSpec[];
  /** Probability that a store call fails (throws, lands then times out, kills the instance, is slow). */
  storeFaultRate: number;
  /** Probability that a provider request fails (5xx/429, lost reply, timeout, reset, hang, never sent). */
  providerFaultRate: number;
  /** Probability that an instance dies at a provider send, or during a sleep. */
  crashRate: number;
  /**
   * The instance of the first trigger run that takes a call's cancel job dies right after it
   * took it (whenever that is, faults or not): another run must take the job over.
   */
  crashCancelHolder: boolean;
  /** Virtual ms after the start when every fault stops; null: only once everything has run. */
  healAt: number | null;
  /** Each instance's clock is off by up to this many ms, either way. */
  maxSkewMs: number;
  /** Trigger deliveries: how late, and how often twice. */
  triggerDelayMax: number;
  duplicateDeliveryRate: number;
  /** When, within its minute, the expiry job runs. */
  jobPhase: number;
  /** Probability that a run starts a new (cold) instance. */
  coldRate: number;
}

const phone: fc.Arbitrary<PhoneSpec> = fc.record({
  kind: fc.constantFrom('android', 'ios_voip', 'ios_voip_fcm', 'ios_alert'),
  registeredEnv: fc.constantFrom<ApnsEnv>('production', 'sandbox'),
  trueEnv: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<ApnsEnv>('production', 'sandbox') },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  dead: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
  registered: fc.oneof({ weight: 8, arbitrary: fc.constant(true) }, fc.constant(false)),
  slow: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
  failFirst: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 5 })),
});

const times = (max: number, n: number) =>
  fc.array(fc.integer({ min: 0, max }), { maxLength: n }).map((a) => a.sort((x, y) => x - y));

const call: fc.Arbitrary<CallSpec> = fc.record({
  at: fc.integer({ min: 0, max: 6_000 }),
  ringTimeout: fc.integer({ min: 5, max: 40 }),
  pbxRetries: fc.boolean(),
  retryDelays: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 3 }),
  duplicatesAt: times(8_000, 2),
  hangupAt: fc.option(
    fc.oneof(fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 0, max: 45_000 })),
    { nil: null },
  ),
  timeoutCancel: fc.boolean(),
  longPoll: fc.boolean(),
  answers: fc.array(
    fc.record({
      phone: fc.nat(4),
      action: fc.constantFrom<'accept' | 'decline'>('accept', 'accept', 'decline'),
      after: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 45_000 })),
      via: fc.constantFrom<'firestore' | 'https'>('firestore', 'https'),
    }),
    { maxLength: 3 },
  ),
  crashCreatorAt: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null, freq: 4 }),
  creatorDiesInFlight: fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, fc.constant(true)),
});

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  phones: fc.array(phone, { minLength: 1, maxLength: 5 }),
  calls: fc.oneof(
    { weight: 5, arbitrary: fc.array(call, { minLength: 1, maxLength: 1 }) },
    { weight: 3, arbitrary: fc.array(call, { minLength: 2, maxLength: 3 }) },
  ),
  churn: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 30_000 }),
      phone: fc.nat(4),
      kind: fc.constantFrom<ChurnSpec['kind']>('refresh', 'rotate', 'delete', 'join'),
    }),
    { maxLength: 3 },
  ),
  storeFaultRate: fc.constantFrom(0, 0.02, 0.08, 0.2),
  providerFaultRate: fc.constantFrom(0, 0.05, 0.2, 0.4),
  crashRate: fc.constantFrom(0, 0.01, 0.05),
  crashCancelHolder: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
  healAt: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 45_000 }) },
    { weight: 3, arbitrary: fc.constant(null) },
  ),
  maxSkewMs: fc.constantFrom(0, 50, 500),
  triggerDelayMax: fc.constantFrom(50, 2_000, 15_000),
  duplicateDeliveryRate: fc.constantFrom(0, 0.3),
  jobPhase: fc.integer({ min: 0, max: 59_999 }),
  coldRate: fc.constantFrom(0.1, 0.5),
});
