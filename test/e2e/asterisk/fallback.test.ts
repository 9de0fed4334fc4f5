/**
 * Calls callwake has no part in, or a slow or absent callwake, through a real Asterisk (hooks.ts
 * starts the world): with no device for the extension, with callwake refusing connections or
 * answering 503, the include falls back to a plain Dial that reaches the registered phone; with
 * callwake 3 s late, 20 callers at once, no call waits behind another. Prints the burst's figures.
 */
import { createServer } from 'node:net';
import { api } from '../../support/http';
import { fcmToken } from '../../support/ids';
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { log, measured, runFigures } from './figures';
import { plainDial } from './scenarios';
import { world } from './setup';
import { slowCallwake } from './slowCallwake';
import { ms } from './world';

// The slow-callwake burst: its own extension (a desk phone the PBX registered), so its calls
// count against no other scenario's per-extension call rate.
const SLOW_EXT = '1003';
const SLOW_CALLS = 20;
const SLOW_DELAY_MS = 3_000;

/** A port nothing listens on: what an outage looks like to the PBX. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('callwake with no phone to wake, late, or out of the way (Asterisk)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  measured('no devices: plain Dial reaches the registered phone', async (f) => {
    const w = world();
    await plainDial(w, f, 'nodevices', '1002');
    const post = w.proxy.requests.filter((r) => r.url === '/v1/calls').at(-1);
    const to = new URLSearchParams(post?.body).get('to');
    if (to !== '1002' || post?.status !== 201) {
      throw new Error(`POST /v1/calls for ${String(to)} answered ${String(post?.status)}`);
    }
  });

  describe(`callwake ${SLOW_DELAY_MS} ms late, ${SLOW_CALLS} callers at once`, () => {
    before(async () => {
      const desk = await api('PUT', `/v1/extensions/${SLOW_EXT}/devices/e2e-slow-desk`, {
        key: world().tenant.key,
        form: { platform: 'android', fcm_token: fcmToken() },
      });
      if (desk.status !== 200 && desk.status !== 201) throw new Error(`registering: ${desk.text}`);
    });

    const slow = measured(
      `callwake answering ${SLOW_DELAY_MS} ms late, ${SLOW_CALLS} callers at once: each gets 100 Trying and its 180 one delay after its INVITE, none waits behind another; a REGISTER meanwhile is answered at once`,
      (f) =>
        slowCallwake(world(), f, {
          ext: SLOW_EXT,
          calls: SLOW_CALLS,
          delayMs: SLOW_DELAY_MS,
          // CURLOPT(httptimeout) of the include's POST /v1/calls.
          includeTimeoutMs: 10_000,
        }),
    );

    after(() => {
      runFigures.slowCallwake = slow;
      log(
        `callwake ${SLOW_DELAY_MS} ms late, ${SLOW_CALLS} callers at once: ${String(slow.rang)} rang, ${String(slow.fellBack)} rung the classic way (callwake past the include's 10 s); INVITE -> 100 Trying p50 ${ms(slow.tryingP50)}, max ${ms(slow.tryingMax)}; INVITE -> 180 p50 ${ms(slow.inviteTo180P50)}, max ${ms(slow.inviteTo180Max)} (callwake's own time p50 ${ms(slow.callwakeOwnP50)}, max ${ms(slow.callwakeOwnMax)}); the last POST reached callwake ${ms(slow.lastPostAfterFirstInvite)} after the first INVITE; CANCEL -> 487 p50 ${ms(slow.cancelTo487P50)}, max ${ms(slow.cancelTo487Max)}; a REGISTER during the burst answered in ${ms(slow.registerDuringBurst)}`,
      );
    });
  });

  describe('callwake refusing connections', () => {
    before(async () => {
      await world().pbx.setGlobal('CALLWAKE_URL', `http://127.0.0.1:${await closedPort()}`);
    });
    after(async () => {
      await world().pbx.setGlobal('CALLWAKE_URL', world().proxyUrl);
    });

    measured('callwake refusing connections: plain Dial reaches the phone', (f) =>
      plainDial(world(), f, 'refused', '1001'),
    );
  });

  describe('callwake answering 503', () => {
    before(() => {
      world().proxy.unavailable = true;
    });
    after(() => {
      world().proxy.unavailable = false;
    });

    measured('callwake answering 503: plain Dial reaches the phone', async (f) => {
      const w = world();
      const before = w.proxy.requests.length;
      await plainDial(w, f, 'unavailable', '1001');
      const seen = w.proxy.requests.slice(before).map((r) => `${r.method} ${r.url} ${r.status}`);
      if (seen.join() !== 'POST /v1/calls 503') throw new Error(`requests: ${seen.join('; ')}`);
    });
  });
});
