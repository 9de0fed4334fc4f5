/**
 * The app answers a call it was woken for, through a real Asterisk (hooks.ts starts the world):
 * accepted, the phone registers and the caller gets 200 OK; declined, the caller gets 486; a
 * registered phone answering first ends the pushed one's ringing. Prints accept -> 200 OK and
 * decline -> 486 at the caller (p50, p95, max).
 */
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { log, measured, runFigures, type Figures } from './figures';
import { answered, declined, registeredAndPushed } from './scenarios';
import { world } from './setup';
import { ms, percentile } from './world';

// At least 5 of each, for a p50 and a p95 of accept -> 200 OK and decline -> 486.
const ANSWERS = 5;
const DECLINES = 5;

describe('the app answers a pushed call (Asterisk)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  const accepts: Figures[] = [];
  const declines: Figures[] = [];

  after(() => {
    const accepted = accepts.flatMap((f) => f.acceptTo200Ok ?? []);
    const busy = declines.flatMap((f) => f.declineToBusy ?? []);
    Object.assign(runFigures, {
      answers: accepted.length,
      acceptTo200OkP50: percentile(accepted, 50),
      acceptTo200OkP95: percentile(accepted, 95),
      acceptTo200OkMax: percentile(accepted, 100),
      declines: busy.length,
      declineTo486P50: percentile(busy, 50),
      declineTo486P95: percentile(busy, 95),
      declineTo486Max: percentile(busy, 100),
    });
    log(
      `accept -> 200 OK at the caller over ${accepted.length} calls: p50 ${ms(percentile(accepted, 50))}, p95 ${ms(percentile(accepted, 95))}, max ${ms(percentile(accepted, 100))}`,
    );
    log(
      `decline -> 486 Busy Here at the caller over ${busy.length} calls: p50 ${ms(percentile(busy, 50))}, p95 ${ms(percentile(busy, 95))}, max ${ms(percentile(busy, 100))}`,
    );
  });

  for (let round = 1; round <= ANSWERS; round += 1) {
    accepts.push(
      measured(
        `answered #${round}: push, the app accepts, the phone registers, the caller gets 200 OK`,
        (f) => answered(world(), f, round),
      ),
    );
  }
  for (let round = 1; round <= DECLINES; round += 1) {
    declines.push(
      measured(`declined #${round}: the app declines, the caller gets 486 Busy Here`, (f) =>
        declined(world(), f, round),
      ),
    );
  }
  measured(
    'a registered phone and a pushed phone ring together; the registered one answers; the pushed one gets answered_elsewhere',
    (f) => registeredAndPushed(world(), f),
  );
});
