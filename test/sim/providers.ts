import type {
  ApnsEnv,
  Provider,
  PushMeta,
  PushSender,
  RenderedPush,
  SendResult,
} from '../../functions/core/push';
import type { FakeClock } from '../support/fakeClock';
import type { Rng } from './rng';
import { never, type FaultCounts, type Run } from './runs';

/** What a token really is, known to the fake providers only. */
export interface TokenTruth {
  provider: Provider;
  /** Unregistered for good (FCM UNREGISTERED, APNs 410). */
  dead: boolean;
  /** APNs: the environment the token belongs to; undefined for a garbage token (bad in both). */
  env?: ApnsEnv;
}

export type ProviderOutcome =
  | 'accepted'
  /** Accepted, but the answer never reached us (we see a timeout): the phone rings. */
  | 'lost_reply'
  | 'unregistered'
  | 'bad_device_token'
  | 'transient'
  | 'timeout'
  | 'reset'
  | 'hang';

const FAULTS: readonly ProviderOutcome[] = ['transient', 'lost_reply', 'timeout', 'reset', 'hang'];

/** One request as the provider saw it. */
export interface ProviderRecord {
  runId: number;
  /** When our sender started it, and when it reached the provider. */
  start: number;
  arrival: number;
  provider: Provider;
  env?: ApnsEnv;
  token: string;
  type: string;
  callUuid: string;
  collapse: string | undefined;
  outcome: ProviderOutcome;
  /** The phone got it. */
  reached: boolean;
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
 * in both environments, an unregistered one is 410 / UNREGISTERED.
 */
export class SimProviders {
  readonly records: ProviderRecord[] = [];
  faultsEnabled = true;

  constructor(
    private readonly clock: FakeClock,
    private readonly rng: Rng,
    private readonly rate: number,
    private readonly tokens: Map<string, TokenTruth>,
    private readonly counts: FaultCounts,
  ) {}

  /** The sender a run uses: dead runs never hear back. */
  sender(run: Run): PushSender {
    return {
      send: (push: RenderedPush, deadline: number, _meta?: PushMeta) =>
        this.send(run, push, deadline),
    };
  }

  private judge(push: RenderedPush): ProviderOutcome {
    const truth = this.tokens.get(push.token);
    if (!truth) return 'unregistered';
    if (push.provider === 'apns' && truth.env !== push.apnsEnv) return 'bad_device_token';
    if (truth.dead) return 'unregistered';
    if (this.faultsEnabled && this.rng.chance(this.rate)) {
      const fault = this.rng.pick(FAULTS);
      this.counts.provider[fault] = (this.counts.provider[fault] ?? 0) + 1;
      return fault;
    }
    return 'accepted';
  }

  private async send(run: Run, push: RenderedPush, deadline: number): Promise<SendResult> {
    if (run.isDead()) return never();
    const start = this.clock.now();
    await this.clock.sleep(this.rng.int(5, 60));
    const outcome = this.judge(push);
    const reached = outcome === 'accepted' || outcome === 'lost_reply';
    this.records.push({
      runId: run.id,
      start,
      arrival: this.clock.now(),
      provider: push.provider,
      ...(push.apnsEnv ? { env: push.apnsEnv } : {}),
      token: push.token,
      ...describe(push),
      outcome,
      reached,
    });
    const answerAt = Math.min(
      deadline,
      outcome === 'hang' ? deadline : this.clock.now() + this.rng.int(5, 60),
    );
    await this.clock.sleep(Math.max(0, answerAt - this.clock.now()));
    if (run.isDead()) return never();
    const late = this.clock.now() >= deadline && outcome !== 'hang';
    return late
      ? { kind: 'failed', retryable: true, reason: 'timeout' }
      : this.result(push, outcome);
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
      case 'lost_reply':
      case 'timeout':
      case 'hang':
        return { kind: 'failed', retryable: true, reason: 'timeout' };
    }
  }
}
