import type { ProviderRecord } from '../providers';
import type { SimCall } from '../world';
import type { Facts } from './facts';

/** How long a cancel round may take from being taken to sending, for a run a fault slowed. */
const SLOW_ROUND_MS = 3_100;
const ROUND_MS = 200;

const byPhone = (records: ProviderRecord[]) => {
  const map = new Map<number, ProviderRecord[]>();
  for (const r of records) {
    if (!r.reached || r.phone === null) continue;
    map.set(r.phone, [...(map.get(r.phone) ?? []), r]);
  }
  for (const list of map.values()) list.sort((a, b) => a.arrival - b.arrival);
  return map;
};

/**
 * A repeated push is still one call: per phone and call, at most one incoming push reaches the
 * phone, except a retry of a push whose outcome the system could not know (the provider's
 * answer was lost, or the run that sent it died or was hit by a fault): while the run that
 * sent the first is healthy, the fan-out lease keeps every other request off the phone. The
 * one switch to the other APNs environment reaches a phone at most once, since only one
 * environment takes a token. Each carries the same call_uuid and collapse id (checked with the
 * pushes).
 */
export function oneIncomingPerPhone(facts: Facts, call: SimCall, out: string[]): void {
  for (const [phone, reached] of byPhone(facts.pushes(call, 'incoming_call'))) {
    for (const [k, push] of reached.entries()) {
      if (k === 0) continue;
      const unsure = reached.slice(0, k).some((earlier) => !facts.settled(earlier, push.start));
      if (!unsure)
        out.push(
          `${call.callId}: d${phone} got a second incoming push (run ${push.runId} at ${push.start}) while the first was known`,
        );
    }
  }
}

/**
 * The same bound for cancel pushes, per round: a phone gets a second cancel only when the
 * first one's outcome was unknown, or when an incoming push may have reached it after the
 * previous cancel went out: it arrived later, or was not yet recorded then (still in flight,
 * or sent by a run that died or failed), or a run that could push the call (a POST, the
 * expiry job) had died or failed by then, so a push of it may be in flight unseen. The cancel
 * job's retries and follow-ups are those.
 */
export function oneCancelPerRound(facts: Facts, call: SimCall, out: string[]): void {
  const incoming = facts.pushes(call, 'incoming_call');
  const pushers = facts.world.runs.filter(
    (r) => (r.kind === 'pbx_post' && r.callUuid === call.callUuid) || r.kind === 'job',
  );
  const cancels = facts.pushes(call, 'call_cancelled');
  for (const [phone, reached] of byPhone(cancels)) {
    for (const [k, cancel] of reached.entries()) {
      const previous = reached[k - 1];
      if (!previous) continue;
      if (reached.slice(0, k).some((earlier) => !facts.confirmed(earlier, cancel.start))) continue;
      // The previous round began sending to the phone with its first attempt (later ones are
      // retries within it), shortly after it was taken.
      const began = Math.min(
        ...cancels
          .filter((c) => c.runId === previous.runId && c.phone === phone)
          .map((c) => c.start),
      );
      const sender = facts.run(previous.runId);
      const taken = began - (sender?.troubledBy(began) ? SLOW_ROUND_MS : ROUND_MS);
      const owed =
        incoming.some(
          (i) => i.phone === phone && (i.arrival >= began || !facts.confirmed(i, taken)),
        ) || pushers.some((r) => r.startedAt < began && r.troubledBy(began));
      if (!owed)
        out.push(
          `${call.callId}: d${phone} got another cancel (run ${cancel.runId} at ${cancel.start}) though nothing rang it since run ${previous.runId}'s`,
        );
    }
  }
}
