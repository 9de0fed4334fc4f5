import type { Device } from '../../../functions/core/model';
import type { Run } from '../instances';
import type { ProviderRecord } from '../providers';
import type { Landed } from '../storeLayer';
import { pushToken, type SimCall, type SimPhone, type World } from '../world';

/** What the world sees at the end, once every fault has healed and every retry has run. */
export interface FinalView {
  /** Per call: what the PBX reads with GET /v1/calls/{id} (JSON, with the timeline). */
  calls: Map<string, Record<string, unknown> | null>;
  /** Per call and phone: the outcome on the phone's answer document, as its app reads it. */
  answers: Map<string, string | null | undefined>;
  /** Per phone: its device record. */
  devices: Map<number, Device | null>;
}

/** The world's record, with the questions every invariant asks of it. */
export class Facts {
  private readonly runsById: Map<number, Run>;

  constructor(
    readonly world: World,
    readonly final: FinalView,
  ) {
    this.runsById = new Map(world.runs.map((r) => [r.id, r]));
  }

  run(id: number): Run | undefined {
    return this.runsById.get(id);
  }

  /** Incoming (or cancel) pushes of a call, as the providers saw them, in order. */
  pushes(call: SimCall, type: 'incoming_call' | 'call_cancelled'): ProviderRecord[] {
    return this.world.providers.records.filter(
      (r) => r.type === type && r.callUuid === call.callUuid,
    );
  }

  /** Store effects that landed on a call. */
  landedOn(call: SimCall, store: string, method: string): Landed[] {
    return this.world.landed.filter(
      (l) => l.store === store && l.method === method && callOf(l) === call.callUuid,
    );
  }

  /** The call as the PBX reads it at the end. */
  view(call: SimCall): Record<string, unknown> | null {
    return this.final.calls.get(call.callUuid) ?? null;
  }

  /** The ring deadline callwake set (expires_at), or null when the call was never created. */
  expiresAt(call: SimCall): number | null {
    const at = this.view(call)?.expires_at;
    return typeof at === 'string' ? Date.parse(at) : null;
  }

  /** When the first POST of the call started. */
  firstPost(call: SimCall): number {
    const posts = this.world.pbxReplies.filter(
      (r) => r.callUuid === call.callUuid && r.route === 'post',
    );
    return Math.min(call.startAt, ...posts.map((r) => r.startedAt));
  }

  /**
   * When, from the world's side, the call stopped ringing: the first answer settled or PBX
   * cancel that landed, or the deadline.
   */
  end(call: SimCall): { at: number; by: 'answer' | 'pbx' | 'deadline'; landed?: Landed } {
    const expiresAt = this.expiresAt(call) ?? Infinity;
    const first = this.enders(call)[0];
    if (!first || first.at >= expiresAt) return { at: expiresAt, by: 'deadline' };
    return { at: first.at, by: first.method === 'settleAnswer' ? 'answer' : 'pbx', landed: first };
  }

  /**
   * The answers settled and PBX cancels that landed on a call, in the order they did: the order
   * of `world.landed` (the store's), which also decides between two landing in the same ms.
   */
  enders(call: SimCall): Landed[] {
    return this.world.landed
      .filter(
        (l) =>
          l.store === 'calls' &&
          callOf(l) === call.callUuid &&
          (l.method === 'settleAnswer' ||
            (l.method === 'transition' && l.runKind === 'pbx_cancel')),
      )
      .sort((a, b) => a.at - b.at);
  }

  /** Phones whose app wrote an answer to the call (they know the outcome without a cancel). */
  answered(call: SimCall): Set<number> {
    const ids = this.landedOn(call, 'calls', 'createAnswer')
      .filter((l) => l.result === true)
      .map((l) => (l.args[2] as { deviceId: string }).deviceId);
    return new Set(this.world.phones.filter((p) => ids.includes(p.deviceId)).map((p) => p.index));
  }

  /**
   * The phones that must ring for a call: registered before its first POST, never unregistered
   * while it rang, every change of their registration acknowledged (else what is stored is
   * unknown: a new token may never have been), and reachable (a live push token, of a real
   * APNs environment).
   */
  required(call: SimCall): SimPhone[] {
    const start = this.firstPost(call);
    const { at: end } = this.end(call);
    return this.world.phones.filter((p) => {
      if (p.registeredAt === null || p.registeredAt >= start) return false;
      if (p.deletedAt !== null && p.deletedAt <= end) return false;
      if (this.world.churn.some((c) => c.phone === p.index && c.ackAt === null && c.at < end))
        return false;
      const voip = p.voipToken !== undefined;
      return !p.spec.dead && (!voip || p.spec.trueEnv !== null) && pushToken(p) !== '';
    });
  }

  /** Every phone a schedule changed the registration of, and whether each change was acked. */
  churned(phone: SimPhone): { any: boolean; unacked: boolean } {
    const changes = this.world.churn.filter((c) => c.phone === phone.index);
    return { any: changes.length > 0, unacked: changes.some((c) => c.ackAt === null) };
  }

  /**
   * Whether a push's sender knew its outcome and was in good health at `at`: it heard the
   * provider's verdict, and nothing had gone wrong on its run (a fault, a store error, death).
   */
  settled(push: ProviderRecord, at: number): boolean {
    const run = this.run(push.runId);
    return push.heard && run !== undefined && !run.troubledBy(at);
  }

  /**
   * Whether a push's outcome was known to the system by `at`: the provider's verdict reached a
   * sender that recorded it (nothing went wrong on its run, and it finished) by then.
   */
  confirmed(push: ProviderRecord, at: number): boolean {
    const run = this.run(push.runId);
    if (!push.heard || !run || run.troubledBy(at)) return false;
    return run.stoppedAt <= at;
  }

  /** The largest clock skew between two instances. */
  get skew(): number {
    return 2 * this.world.scenario.maxSkewMs;
  }
}

/** The call a store effect is about (its arguments name it). */
function callOf(landed: Landed): string | undefined {
  if (landed.method === 'createOnce') return (landed.args[0] as { callUuid: string }).callUuid;
  return typeof landed.args[1] === 'string' ? landed.args[1] : undefined;
}

export const key = (call: SimCall, phone: SimPhone) => `${call.callUuid}/${phone.index}`;
