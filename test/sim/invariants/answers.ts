import type { Answer } from '../../../functions/core/call/callState';
import type { SimCall } from '../world';
import type { Facts } from './facts';

/**
 * Exactly one answer wins, in time. Whichever ends the call first, as the database orders
 * them, decides it: the first answer settled (an accept or decline made in time, on a ringing
 * call) wins, and the PBX reads that call `accepted` by that phone or `declined`; a PBX cancel
 * that landed first makes it `cancelled` (`missed` for reason `timeout`); with neither before
 * the deadline it is `missed`. At most one answer wins, none settled at or after the deadline,
 * and every answer an app wrote is settled (won or late), never lost: the app reads its outcome
 * on its answer document, and an app told `won` by the route finds `won` there too. Answers
 * within the clocks' disagreement of the deadline may go either way.
 */
export function oneAnswerWins(facts: Facts, call: SimCall, out: string[]): void {
  const view = facts.view(call);
  const expiresAt = facts.expiresAt(call);
  if (!view || expiresAt === null) return;
  const status = view.status as string;
  if (status === 'ringing') out.push(`${call.callId}: still ringing at the end`);
  const end = facts.end(call);
  // A call that never rang (no device when it came) has nothing to win.
  const near = status === 'no_devices' || Math.abs(end.at - expiresAt) <= facts.skew + 1;
  if (!near && end.by === 'answer' && end.landed) {
    const answer = end.landed.args[2] as Answer;
    const expected = answer.action === 'accept' ? 'accepted' : 'declined';
    if (status !== expected)
      out.push(
        `${call.callId}: ${answer.deviceId}'s ${answer.action} came first but the call is ${status}`,
      );
    if (answer.action === 'accept' && view.answered_by !== answer.deviceId)
      out.push(`${call.callId}: answered_by ${String(view.answered_by)}, not ${answer.deviceId}`);
  } else if (!near && end.by === 'pbx' && end.landed) {
    const expected = ['cancelled', 'missed'];
    if (!expected.includes(status))
      out.push(`${call.callId}: the PBX's cancel came first but the call is ${status}`);
  }
  const first = facts.enders(call)[0];
  const answered = status === 'accepted' || status === 'declined';
  if (answered && (!first || first.at > expiresAt + facts.skew + 1))
    out.push(`${call.callId}: ${status} though no answer came before the deadline`);
  const outcomes = answerOutcomes(facts, call);
  const won = outcomes.filter((o) => o.outcome === 'won');
  if (won.length > 1) out.push(`${call.callId}: ${won.length} answers won`);
  for (const o of outcomes) {
    if (o.outcome !== 'won' && o.outcome !== 'late')
      out.push(
        `${call.callId}: the answer of ${o.deviceId} was never settled (${String(o.outcome)})`,
      );
  }
  if ((status === 'accepted' || status === 'declined') && won.length !== 1)
    out.push(`${call.callId}: ${status} with ${won.length} winning answers`);
  const firstSettle = facts.landedOn(call, 'calls', 'settleAnswer').sort((a, b) => a.at - b.at)[0];
  if (won.length === 1 && firstSettle && firstSettle.at >= expiresAt + facts.skew + 1)
    out.push(`${call.callId}: an answer won after the deadline`);
  for (const told of facts.world.appAnswers) {
    if (told.callUuid !== call.callUuid || told.outcome === undefined) continue;
    const phone = facts.world.phones[told.phone];
    const doc = phone ? facts.final.answers.get(`${call.callUuid}/${phone.index}`) : undefined;
    if (told.outcome !== doc)
      out.push(`${call.callId}: d${told.phone} was told ${told.outcome}, its document says ${doc}`);
  }
  httpsAnswersTaken(facts, call, out);
}

/**
 * An app answers for the phone its user registered on the call's extension: the route answers
 * it with the outcome (the same outcome again for the same answer sent again), a 409 only when
 * the phone gave the call the other answer too, and refuses it otherwise only once the phone
 * is gone (its user removed it, or callwake dropped a token the provider declared dead).
 */
function httpsAnswersTaken(facts: Facts, call: SimCall, out: string[]): void {
  const { world } = facts;
  const phoneOf = (index: number) => index % world.phones.length;
  for (const told of world.appAnswers) {
    if (told.callUuid !== call.callUuid || told.httpStatus === undefined) continue;
    const status = told.httpStatus;
    if (status < 400) continue;
    const deviceId = world.phones[told.phone]?.deviceId;
    const removed =
      world.churn.some((c) => c.phone === told.phone && c.kind === 'delete') ||
      world.landed.some((l) => l.method === 'dropToken' && l.args[1] === deviceId);
    const otherAnswer = call.spec.answers.some(
      (a) => phoneOf(a.phone) === told.phone && a.action !== told.action,
    );
    if (status === 409 ? !otherAnswer && !removed : !removed)
      out.push(
        `${call.callId}: d${told.phone}'s own ${told.action} over HTTPS was refused ${status}`,
      );
  }
}

/** Each answer document an app wrote to the call, with its outcome at the end. */
function answerOutcomes(facts: Facts, call: SimCall) {
  return [...facts.answered(call)].map((index) => ({
    deviceId: facts.world.phones[index]?.deviceId ?? '',
    outcome: facts.final.answers.get(`${call.callUuid}/${index}`),
  }));
}
