import { oneAnswerWins } from './answers';
import { everyRungPhoneStopped, lateBounded } from './cancels';
import { oneCancelPerRound, oneIncomingPerPhone } from './duplicates';
import type { Facts } from './facts';
import { checkedBeforeEachPush, everyPhoneRings, pbxToldTheTruth } from './ring';
import { timelineTrue, tokensDroppedOnlyWhenDead } from './tokens';

export { Facts, type FinalView } from './facts';

/**
 * The promises of docs/guarantees.md, each stated over what the world saw (the phones, the
 * providers' requests, the PBX's and the apps' answers, the database's effects), checked after
 * every schedule. Each returns the violations it found, in words.
 */
export function violations(facts: Facts): string[] {
  const out: string[] = [];
  for (const call of facts.world.calls) {
    everyPhoneRings(facts, call, out);
    pbxToldTheTruth(facts, call, out);
    checkedBeforeEachPush(facts, call, out);
    oneIncomingPerPhone(facts, call, out);
    oneCancelPerRound(facts, call, out);
    oneAnswerWins(facts, call, out);
    everyRungPhoneStopped(facts, call, out);
    lateBounded(facts, call, out);
    timelineTrue(facts, call, out);
  }
  tokensDroppedOnlyWhenDead(facts, out);
  return out;
}
