/**
 * What the run's Asterisk sent and logged, checked once every call of the run is over (this suite
 * runs last; hooks.ts starts the world): every request signed in its body, and no key, secret or
 * credential in Asterisk's log at verbose 5 and debug 1, nor any request it sent that authenticates
 * again.
 */
import { BASE_URL } from '../../support/emulator';
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { leaksIn, replayAll } from '../pbxSecrets';
import { log, measured } from './figures';
import { world } from './setup';
import { checkRequests } from './wire';

describe('what Asterisk sent and logged over the whole run', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  measured('every request signed in its body, the signature matching the request', () => {
    checkRequests(world());
    return Promise.resolve();
  });

  measured(
    "Asterisk's log (verbose 5, debug 1) holds no key, secret or credential; no request it sent authenticates again",
    async () => {
      const w = world();
      const logged = w.pbx.everythingLogged();
      const leaks = leaksIn(logged, {
        apiKey: w.tenant.key,
        signingSecret: w.tenant.signingSecret,
      });
      if (leaks.length > 0) throw new Error(`found in the log: ${leaks.join('; ')}`);
      const steps = (logged.match(/Executing \[/g) ?? []).length;
      if (steps < 100) throw new Error(`only ${steps} dialplan steps logged: is verbose 5 on?`);
      const replays = await replayAll(w.proxy.requests, BASE_URL);
      if (replays.problems.length > 0) throw new Error(replays.problems.join('\n     '));
      log(
        `     ${logged.length} bytes of log, ${steps} dialplan steps: no key, secret or credential; ${replays.replayed} requests replayed and ${replays.moved} credentials moved to another request, all refused 401 (${replays.undelivered} never reached callwake)`,
      );
    },
  );
});
