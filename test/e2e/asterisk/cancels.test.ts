/**
 * Calls that end before anyone answers, through a real Asterisk (hooks.ts starts the world): the
 * caller hangs up while the phone rings, or nobody answers in 5 s; the woken phone gets a cancel
 * push with the reason. Prints caller hang-up -> cancel push at the fake (p50, p95, max) beside
 * its goal.
 */
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { log, measured, runFigures, type Figures } from './figures';
import { hungUp, noAnswer } from './scenarios';
import { world } from './setup';
import { ms, percentile } from './world';

const HANGUPS = Number(process.env.CALLWAKE_E2E_HANGUPS ?? 10);
// The goal for hang-up -> the cancel push at the provider (p95).
const HANGUP_GOAL_MS = 300;

describe('the call ends unanswered: a cancel push (Asterisk)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const hangups: Figures[] = [];

  after(() => {
    const pushes = hangups.flatMap((f) => f.hangupToCancelPush ?? []);
    const posts = hangups.flatMap((f) => f.hangupToCancelPost ?? []);
    const p95 = percentile(pushes, 95);
    Object.assign(runFigures, {
      hangups: pushes.length,
      hangupToCancelPushP50: percentile(pushes, 50),
      hangupToCancelPushP95: p95,
      hangupToCancelPushMax: percentile(pushes, 100),
      hangupToCancelPostP95: percentile(posts, 95),
    });
    log(
      `caller hang-up -> cancel push at the fake over ${pushes.length} hang-ups: p50 ${ms(percentile(pushes, 50))}, p95 ${ms(p95)}, max ${ms(percentile(pushes, 100))} (hang-up -> cancel POST at callwake p95 ${ms(percentile(posts, 95))}); goal p95 <= ${HANGUP_GOAL_MS} ms: ${(p95 ?? Infinity) <= HANGUP_GOAL_MS ? 'met' : 'MISSED'}`,
    );
  });

  for (let round = 1; round <= HANGUPS; round += 1) {
    hangups.push(
      measured(`caller hangs up while ringing #${round}: cancel push, reason hangup`, (f) =>
        hungUp(world(), f, round),
      ),
    );
  }
  measured('nobody answers in 5 s: cancel push reason timeout, the caller gets 480', (f) =>
    noAnswer(world(), f),
  );
});
