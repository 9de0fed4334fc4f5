import { IN_FLIGHT_MS } from '../../functions/core/cancel/cancelJobState';
import type { Clock } from '../../functions/core/clock';
import type {
  ApnsEnv,
  Provider,
  PushMeta,
  PushSender,
  RenderedPush,
  SendResult,
} from '../../functions/core/send/push';
import type { FakeClock } from '../support/fakeClock';
import type { FaultPlan, ProviderFault } from './faults';
import { never, type Run } from './instances';
import type { Rng } from './rng';

/** What a token really is, known to the fake providers only. */
export interface TokenTruth {
  /** The phone it reaches. */
  phone: number;
  provider: Provider;
  /** Unregistered for good (FCM UNREGISTERED, APNs 410): uninstalled, or replaced. */
  dead: boolean;
  /** APNs: the environment the token belongs to; undefined for a garbage token (bad in both). */
  env?: ApnsEnv;
}

export type ProviderOutcome =
  | 'accepted'
  /** Accepted, but the answer never reached the sender (it sees a timeout): the phone rings. */
  | 'lost_reply'
  | 'unregistered'
  | 'bad_device_token'
  | 'transient'
  | 'timeout'
  | 'reset'
  | 'hang'
  /** Our sender failed before the request left: the provider never saw it. */
  | 'not_sent';

/** One request as the provider saw it (or, `not_sent`, as the sender tried it). */
export interface ProviderRecord {
  runId: number;
  /** When the sender started it, and when it reached the provider. */
  start: number;
  arrival: number;
  provider: Provider;
  env?: ApnsEnv;
  token: string;
  /** The phone the token reaches, if any. */
  phone: number | null;
  type: string;
  callUuid: string;
  collapse: string | undefined;
  outcome: ProviderOutcome;
  /** The phone got it. */
  reached: boolean;
  /** The sender heard the provider's verdict (or knew the request never left). */
  heard: boolean;
}

function describe(push: RenderedPush) {
  if (push.provider === 'apns') {
    const body = push.body as { type?: string; call_uuid?: string };
    return {
      type: body.type ?? '',
      callUuid: body.call_uuid ?? '',
      collapse: push.headers['apns-collapse-id'],
    };
  }
  const message = (push.body as { message: Record<string, unknown> }).message;
  const data = (message.data ?? {}) as Record<string, string>;
  const android = message.android as { collapse_key?: string } | undefined;
  const apns = message.apns as { headers?: Record<string, string> } | undefined;
  return {
    type: data.type ?? '',
    callUuid: data.call_uuid ?? '',
    collapse: android?.collapse_key ?? apns?.headers?.['apns-collapse-id'],
  };
}

/**
 * FCM and APNs as seen from a sender: each request takes virtual time, is judged on arrival
 * by the token's truth (a dead token, a token sent to the wrong APNs environment) and then by
 * a random fault, and its answer may be lost or never come. Strict as Apple and Google are on
 * what matters here: a sandbox token at production is BadDeviceToken, a garbage token is bad
 * in both environments, an unregistered one is 410 / UNREGISTERED. The instance sending may
 * die just before the request leaves, or just after.
 */
export class SimProviders {
  readonly records: ProviderRecord[] = [];
  /** Told of every push that reaches a phone (the apps answer their ringing phones). */
  onReach: (record: ProviderRecord) => void = () => undefined;
  /** Told of every request as it leaves; true: it takes the network's longest to land. */
  onLeave: (run: Run, push: RenderedPush) => boolean = () => false;
  private readonly transientLeft = new Map<number, number>();

  constructor(
    private readonly clock: FakeClock,
    private readonly rng: Rng,
    private readonly plan: FaultPlan,
    private readonly tokens: Map<string, TokenTruth>,
    private readonly phones: readonly { slow: boolean; failFirst: number }[],
  ) {
    phones.forEach((p, i) => this.transientLeft.set(i, p.failFirst));
  }

  /** The sender a run uses, on the run's own clock (the deadline is in its terms). */
  sender(run: Run, clock: Clock): PushSender {
    return {
      send: (push: RenderedPush, deadline: number, _meta?: PushMeta) =>
        this.send(run, clock, push, deadline),
    };
  }

  private judge(push: RenderedPush, fault: ProviderFault | null): ProviderOutcome {
    const truth = this.tokens.get(push.token);
    if (!truth) return 'unregistered';
    const left = this.transientLeft.get(truth.phone) ?? 0;
    if (left > 0) {
      this.transientLeft.set(truth.phone, left - 1);
      return 'transient';
    }
    if (push.provider === 'apns' && truth.env !== push.apnsEnv) return 'bad_device_token';
    if (truth.dead) return 'unregistered';
    return fault && fault !== 'not_sent' ? fault : 'accepted';
  }

  private async send(
    run: Run,
    clock: Clock,
    push: RenderedPush,
    deadline: number,
  ): Promise<SendResult> {
    if (run.isDead()) return never();
    const fault = this.plan.provider();
    if (fault === 'not_sent') {
      const now = this.clock.now();
      const truth = this.tokens.get(push.token);
      this.records.push({
        runId: run.id,
        start: now,
        arrival: now,
        provider: push.provider,
        ...(push.apnsEnv ? { env: push.apnsEnv } : {}),
        token: push.token,
        phone: truth?.phone ?? null,
        ...describe(push),
        outcome: 'not_sent',
        reached: false,
        heard: true,
      });
      await this.clock.sleep(this.rng.int(1, 20));
      if (run.isDead()) return never();
      return { kind: 'failed', retryable: true, reason: 'access_token_error' };
    }
    if (this.plan.crash('send_before')) {
      run.instance.kill(this.clock.now());
      return never();
    }
    const start = this.clock.now();
    const slowest = this.onLeave(run, push);
    // Once sent, the request reaches the provider whatever happens to the sender; a slow
    // network takes up to IN_FLIGHT_MS, the bound the cancel job's follow-ups count on.
    await this.clock.sleep(
      slowest
        ? IN_FLIGHT_MS
        : this.rng.chance(0.3)
          ? this.rng.int(100, IN_FLIGHT_MS)
          : this.rng.int(5, 60),
    );
    const outcome = this.judge(push, fault);
    const truth = this.tokens.get(push.token);
    const record: ProviderRecord = {
      runId: run.id,
      start,
      arrival: this.clock.now(),
      provider: push.provider,
      ...(push.apnsEnv ? { env: push.apnsEnv } : {}),
      token: push.token,
      phone: truth?.phone ?? null,
      ...describe(push),
      outcome,
      reached: (outcome === 'accepted' || outcome === 'lost_reply') && truth !== undefined,
      heard: false,
    };
    this.records.push(record);
    if (record.reached) this.onReach(record);
    if (this.plan.crash('send_after')) {
      run.instance.kill(this.clock.now());
      return never();
    }
    const slow = truth !== undefined && this.phones[truth.phone]?.slow === true;
    const answerIn = outcome === 'hang' ? Infinity : this.rng.int(5, slow ? 3_000 : 60);
    // The sender stops waiting at its deadline (its own clock: the instance's).
    await this.clock.sleep(Math.max(0, Math.min(answerIn, deadline - clock.now())));
    if (run.isDead()) return never();
    if (clock.now() >= deadline) return { kind: 'failed', retryable: true, reason: 'timeout' };
    const result = this.result(push, outcome);
    record.heard = result.kind !== 'failed' || result.status !== undefined;
    return result;
  }

  private result(push: RenderedPush, outcome: ProviderOutcome): SendResult {
    const apns = push.provider === 'apns';
    switch (outcome) {
      case 'accepted':
        return { kind: 'accepted', status: 200, providerId: `m-${this.records.length}` };
      case 'unregistered':
        return apns
          ? { kind: 'dead_token', status: 410, reason: 'Unregistered' }
          : { kind: 'dead_token', status: 404, reason: 'UNREGISTERED' };
      case 'bad_device_token':
        return { kind: 'dead_token', status: 400, reason: 'BadDeviceToken' };
      case 'transient':
        return this.rng.chance(0.5)
          ? { kind: 'failed', retryable: true, status: 503, reason: 'UNAVAILABLE' }
          : {
              kind: 'failed',
              retryable: true,
              status: 429,
              reason: 'TooManyRequests',
              retryAfterMs: this.rng.int(100, 2_000),
            };
      case 'reset':
        return { kind: 'failed', retryable: true, reason: 'network_error' };
      case 'not_sent':
        return { kind: 'failed', retryable: true, reason: 'access_token_error' };
      case 'lost_reply':
      case 'timeout':
      case 'hang':
        return { kind: 'failed', retryable: true, reason: 'timeout' };
    }
  }
}
