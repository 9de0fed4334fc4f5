/**
 * A process acting as one callwake instance: it makes its own ApnsSender from functions/push
 * (its own connection, its own provider token) and, on the parent's word, sends VoIP pushes.
 * Forked by test/integration/providerToken.test.ts.
 *
 * Configuration (JSON in CALLWAKE_TEST_APNS_INSTANCE): key, keyId, teamId, origin, ca, tokens
 * (device tokens to push to), clockOffsetMs (the shared virtual clock, as an offset).
 */
import type { SendResult } from '../../functions/core/send/push';
import { ApnsSender } from '../../functions/push/apnsSender';
import { renderVoipPush } from './apnsPushes';

interface InstanceConfig {
  key: string;
  keyId: string;
  teamId: string;
  origin: string;
  ca: string;
  tokens: string[];
  clockOffsetMs: number;
}

const config = JSON.parse(process.env.CALLWAKE_TEST_APNS_INSTANCE ?? '{}') as InstanceConfig;
const sender = new ApnsSender({
  key: config.key,
  keyId: config.keyId,
  teamId: config.teamId,
  origins: { production: config.origin, sandbox: config.origin },
  ca: config.ca,
  clock: () => Date.now() + config.clockOffsetMs,
});

process.once('message', () => {
  void (async () => {
    const deadline = Date.now() + 10_000;
    const results: SendResult[] = await Promise.all(
      config.tokens.map((token) => sender.send(renderVoipPush(token), deadline)),
    );
    await sender.close();
    // No exit of its own: the parent could see the exit before the report (both arrive
    // asynchronously, and on a busy machine in either order). The parent ends this process.
    process.send?.({ pid: process.pid, results });
  })();
});
process.send?.('ready');
