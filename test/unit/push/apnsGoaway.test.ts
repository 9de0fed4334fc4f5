import assert from 'node:assert/strict';
import type { ApnsEnv } from '../../../functions/core/send/push';
import { ApnsSender } from '../../../functions/push/apnsSender';
import { FakeApns } from '../../support/fakeApns';
import { KEY_ID, TEAM_ID, es256Key, newDeviceToken, renderVoip } from './apnsFixtures';

/** Apple closing connections (GOAWAY): no push lost, none sent twice. */
describe('ApnsSender when APNs sends GOAWAY', () => {
  const key = es256Key();
  const apns = new FakeApns({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: key.publicKey });
  let sender: ApnsSender;

  before(async () => {
    const { origin } = await apns.start();
    const origins: Record<ApnsEnv, string> = { production: origin, sandbox: origin };
    sender = new ApnsSender({
      key: key.privateKey,
      keyId: KEY_ID,
      teamId: TEAM_ID,
      origins,
      ca: apns.ca,
    });
  });
  afterEach(() => {
    apns.reset();
  });
  after(async () => {
    await sender.close();
    await apns.close();
  });

  const send = (token: string) => sender.send(renderVoip(token), Date.now() + 30_000);
  /** The requests Apple acted on (not refused by a GOAWAY). */
  const processed = (token: string) => apns.requestsFor(token).filter((r) => !r.refusedByGoaway);

  it('resends a push the GOAWAY left unprocessed, once, on a new connection', async () => {
    // A push first, so the refused one is not its connection's first stream (see the fake).
    assert.equal((await send(newDeviceToken())).kind, 'accepted');
    const token = newDeviceToken();
    apns.script(token, ['goaway']);
    assert.equal((await send(token)).kind, 'accepted');
    const [refused, resent, ...more] = apns.requestsFor(token);
    assert.equal(refused?.refusedByGoaway, true);
    assert.equal(resent?.status, 200);
    assert.notEqual(resent.connection, refused.connection);
    assert.equal(more.length, 0);
  });

  it('never resends a push Apple processed before going away; the next push reconnects', async () => {
    const token = newDeviceToken();
    apns.script(token, ['ok_then_goaway']);
    assert.equal((await send(token)).kind, 'accepted');
    assert.equal(apns.requestsFor(token).length, 1);
    const next = newDeviceToken();
    assert.equal((await send(next)).kind, 'accepted');
    assert.notEqual(apns.requestsFor(next)[0]?.connection, apns.requestsFor(token)[0]?.connection);
  });

  it('sends every push of a burst exactly once when a GOAWAY cuts through it', async () => {
    const tokens = Array.from({ length: 6 }, newDeviceToken);
    // The third push's stream is the first one the server will not process; every stream
    // above it, in flight on the same connection, is refused with it.
    apns.script(tokens[2]!, ['goaway']);
    const results = await Promise.all(tokens.map(send));
    assert.deepEqual(
      results.map((r) => r.kind),
      tokens.map(() => 'accepted'),
    );
    for (const token of tokens) assert.equal(processed(token).length, 1, token);
    assert.ok(apns.requests.some((r) => r.refusedByGoaway));
  });

  it('moves to a new connection when the server goes away between pushes', async () => {
    const first = newDeviceToken();
    assert.equal((await send(first)).kind, 'accepted');
    apns.goAway();
    const second = newDeviceToken();
    assert.equal((await send(second)).kind, 'accepted');
    assert.equal(apns.requestsFor(second).length, 1);
    assert.notEqual(
      apns.requestsFor(second)[0]?.connection,
      apns.requestsFor(first)[0]?.connection,
    );
  });
});
