import assert from 'node:assert/strict';
import { applyPbxCancel } from '../../../../functions/core/call/callState';
import { callUuid } from '../../../../functions/core/call/callUuid';
import type { AnswerDoor } from '../../../../functions/core/ports';
import { handle } from '../../../../functions/http/router';
import { EXISTING_ANSWER_GRACE_MS } from '../../../../functions/http/routes/calls';
import { apiRequest, fakeApiContext, signIn, type FakeApiContext } from '../../../support/fakes';
import { delivery, NOW, ringingCall } from '../../core/fixtures';

const KEY = 'k-acme';
const FCM_TOKEN = 'fcm-token-pixel-' + 'x'.repeat(40);
const VOIP_TOKEN = 'ab'.repeat(32);
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function postCall(ctx: FakeApiContext, body: string, headers: Record<string, string> = {}) {
  return handle(
    apiRequest('POST', '/v1/calls', {
      headers: { Authorization: `Bearer ${KEY}`, ...FORM, ...headers },
      body,
    }),
    ctx,
  );
}

describe('POST /v1/calls through the router', () => {
  let ctx: FakeApiContext;

  beforeEach(() => {
    ctx = fakeApiContext({ [KEY]: 'acme', 'k-globex': 'globex' });
    ctx.devices.put('acme', {
      deviceId: 'pixel-8',
      extension: '100',
      platform: 'android',
      fcmToken: FCM_TOKEN,
      apnsEnv: 'production',
      lastSeenAt: 0,
    });
    ctx.devices.put('acme', {
      deviceId: 'iphone-15',
      extension: '100',
      platform: 'ios',
      voipToken: VOIP_TOKEN,
      appId: 'com.example.phone',
      apnsEnv: 'sandbox',
      lastSeenAt: 0,
    });
  });

  it('rings every device and answers 201 with the call', async () => {
    const res = await postCall(
      ctx,
      'call_id=1700000000.42&to=100&from=%2B3225550100&from_name=Zo%C3%AB',
    );
    const uuid = callUuid('acme', '1700000000.42');
    assert.deepEqual(res, {
      status: 201,
      body: { status: 'ringing', call_id: '1700000000.42', call_uuid: uuid, devices: 2, pushed: 2 },
    });
    assert.deepEqual(ctx.sendersAskedFor, [{ id: 'acme' }]);
    assert.deepEqual(
      ctx.sender.sent.map((s) => s.push.token).sort(),
      [VOIP_TOKEN, FCM_TOKEN].sort(),
    );
    const voip = ctx.sender.sentTo(VOIP_TOKEN)[0]!;
    assert.equal(voip.push.url, `https://apns-sandbox.test/3/device/${VOIP_TOKEN}`);
    assert.equal((voip.push.body as Record<string, string>).caller_name, 'Zoë');
    assert.equal(voip.deadline, ctx.clock.now() + ctx.sendBudgetMs);
    const stored = await ctx.calls.get('acme', uuid);
    assert.equal(stored?.pushed, 2);
    assert.equal(stored.deliveries['iphone-15']?.status, 'accepted');
  });

  it('accepts a JSON body', async () => {
    const res = await postCall(
      ctx,
      JSON.stringify({ call_id: 'c-json', to: '100', ring_timeout: 20 }),
      {
        'Content-Type': 'application/json',
      },
    );
    assert.equal(res.status, 201);
    const stored = await ctx.calls.get('acme', callUuid('acme', 'c-json'));
    assert.equal(stored?.ringTimeout, 20);
  });

  it('answers 200 with duplicate content for a repeated call id, pushing nothing more', async () => {
    const first = await postCall(ctx, 'call_id=c1&to=100');
    const again = await postCall(ctx, 'call_id=c1&to=100');
    assert.equal(first.status, 201);
    assert.deepEqual(again, { status: 200, body: first.body });
    assert.equal(ctx.sender.sent.length, 2);
  });

  it('asks whether an extension was ever used only when it has nothing to ring', async () => {
    let asked = 0;
    const everUsed = ctx.extensions.everUsed.bind(ctx.extensions);
    ctx.extensions.everUsed = (...args) => {
      asked += 1;
      return everUsed(...args);
    };
    assert.equal((await postCall(ctx, 'call_id=c-ring&to=100')).body.status, 'ringing');
    assert.equal(asked, 0, 'the ring path pays no extra read');
    assert.equal((await postCall(ctx, 'call_id=c-none&to=1O01')).body.status, 'unknown_extension');
    assert.equal(asked, 1);
  });

  it('answers 201 no_devices for an extension whose phones are all gone', async () => {
    ctx.usedExtensions.add('acme/555');
    const res = await postCall(ctx, 'call_id=c2&to=555');
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'no_devices');
    assert.equal(res.body.devices, 0);
    assert.equal(ctx.sender.sent.length, 0);
  });

  it('answers 201 unknown_extension for an extension never used (a typo)', async () => {
    const res = await postCall(ctx, 'call_id=c-typo&to=1O01');
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'unknown_extension');
    assert.equal(
      (await ctx.calls.get('acme', callUuid('acme', 'c-typo')))?.status,
      'unknown_extension',
    );
    assert.equal(ctx.sender.sent.length, 0);
  });

  it('counts an extension with only a member as used', async () => {
    await ctx.members.add('acme', '556', 'uid-1', 'invitation');
    assert.equal((await postCall(ctx, 'call_id=c3&to=556')).body.status, 'no_devices');
  });

  it('answers 409 when a call_id is reused for another extension, changing nothing', async () => {
    const first = await postCall(ctx, 'call_id=c-reused&to=100');
    ctx.usedExtensions.add('acme/200');
    const again = await postCall(ctx, 'call_id=c-reused&to=200');
    assert.equal(first.status, 201);
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'conflict');
    assert.match(
      again.body.message as string,
      /^call_id: c-reused is already a call to extension 100;/,
    );
    assert.deepEqual(again.body.details, { call_id: 'is already a call to extension 100' });
    assert.equal((await ctx.calls.get('acme', callUuid('acme', 'c-reused')))?.extension, '100');
    assert.equal(ctx.sender.sent.length, 2, 'nothing pushed again');
  });

  it("keeps tenants apart: another tenant's key sees none of acme's devices", async () => {
    const res = await handle(
      apiRequest('POST', '/v1/calls', {
        headers: { 'X-Api-Key': 'k-globex', ...FORM },
        body: 'call_id=c1&to=100',
      }),
      ctx,
    );
    // Extension 100 is used in acme, never in globex.
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'unknown_extension');
    assert.equal(res.body.call_uuid, callUuid('globex', 'c1'));
  });

  it('answers 401 without a key or with a wrong key, before reading the body', async () => {
    const missing = await handle(
      apiRequest('POST', '/v1/calls', { headers: FORM, body: 'call_id=c1&to=100' }),
      ctx,
    );
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error, 'unauthenticated');
    const wrong = await postCall(ctx, 'garbage', { Authorization: 'Bearer k-nope' });
    assert.deepEqual(wrong, {
      status: 401,
      body: { error: 'unauthenticated', message: 'The API key is not valid.' },
    });
    assert.equal(ctx.calls.created.length, 0);
  });

  it('answers 401 for a key in the query string', async () => {
    const res = await handle(
      apiRequest('POST', '/v1/calls', {
        headers: FORM,
        query: `api_key=${KEY}`,
        body: 'call_id=c1&to=100',
      }),
      ctx,
    );
    assert.equal(res.status, 401);
  });

  it('answers 400 with every bad field for an invalid body', async () => {
    const res = await postCall(ctx, 'to=&ring_timeout=500');
    assert.deepEqual(res, {
      status: 400,
      body: {
        error: 'invalid_argument',
        message:
          'call_id: is required; to: must be 1-64 characters of A-Z a-z 0-9 _ . + * # -; ' +
          'ring_timeout: must be at most 120 seconds',
        details: {
          call_id: 'is required',
          to: 'must be 1-64 characters of A-Z a-z 0-9 _ . + * # -',
          ring_timeout: 'must be at most 120 seconds',
        },
      },
    });
    assert.equal(ctx.calls.created.length, 0);
  });

  it('answers 415 for text/plain and 400 for malformed JSON', async () => {
    assert.equal(
      (await postCall(ctx, 'call_id=c1&to=100', { 'Content-Type': 'text/plain' })).status,
      415,
    );
    assert.equal((await postCall(ctx, '{', { 'Content-Type': 'application/json' })).status, 400);
  });

  it('answers 503 with Retry-After when the call store is down', async () => {
    const outage = Object.assign(new Error('UNAVAILABLE'), { code: 14 });
    ctx.calls.createOnce = () => Promise.reject(outage);
    const res = await postCall(ctx, 'call_id=c1&to=100');
    assert.equal(res.status, 503);
    assert.deepEqual(res.headers, { 'Retry-After': '1' });
    assert.deepEqual(ctx.reported, [outage]);
    assert.equal(ctx.sender.sent.length, 0);
  });
});

describe('GET /v1/calls/{call_id} through the router', () => {
  it('shows a known call and 404s an unknown one', async () => {
    const ctx = fakeApiContext({ [KEY]: 'acme' });
    ctx.usedExtensions.add('acme/100');
    const headers = { Authorization: `Bearer ${KEY}` };
    await handle(
      apiRequest('POST', '/v1/calls', {
        headers,
        body: 'call_id=abc%40pbx.example.com&to=100&ring_timeout=20',
      }),
      ctx,
    );
    const res = await handle(
      apiRequest('GET', '/v1/calls/abc%40pbx.example.com', { headers }),
      ctx,
    );
    assert.deepEqual(res, {
      status: 200,
      body: {
        status: 'no_devices',
        call_id: 'abc@pbx.example.com',
        call_uuid: callUuid('acme', 'abc@pbx.example.com'),
        extension: '100',
        devices: 0,
        pushed: 0,
        expires_at: new Date(ctx.clock.now() + 20_000).toISOString(),
      },
    });
    assert.deepEqual(await handle(apiRequest('GET', '/v1/calls/nope', { headers }), ctx), {
      status: 404,
      body: { error: 'not_found', message: 'No call nope is known.' },
    });
  });
});

describe('POST /v1/calls/{call_id}/cancel through the router', () => {
  let ctx: FakeApiContext;
  const uuid = callUuid('acme', 'c-cancel');

  beforeEach(async () => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
    await ctx.calls.createOnce(
      ringingCall({
        callId: 'c-cancel',
        deliveries: {
          'pixel-8': delivery('accepted'),
          'iphone-15': delivery('pending'),
          'old-phone': delivery('dead_token'),
        },
      }),
    );
  });

  const cancel = (callId: string, body = '', headers: Record<string, string> = {}) =>
    handle(
      apiRequest('POST', `/v1/calls/${callId}/cancel`, {
        headers: { Authorization: `Bearer ${KEY}`, ...FORM, ...headers },
        body,
      }),
      ctx,
    );

  it('cancels a ringing call (reason hangup by default), then answers cancelled:false', async () => {
    assert.deepEqual(await cancel('c-cancel'), {
      status: 200,
      body: { status: 'cancelled', call_id: 'c-cancel', call_uuid: uuid, cancelled: true },
    });
    const stored = await ctx.calls.get('acme', uuid);
    assert.equal(stored?.status, 'cancelled');
    assert.equal(stored.endReason, 'hangup');
    assert.equal(stored.endedAt, ctx.clock.now());
    assert.deepEqual(stored.cancel, {
      state: 'pending',
      reason: 'hangup',
      targets: ['iphone-15', 'pixel-8'],
    });

    ctx.clock.current += 1_000;
    assert.deepEqual(await cancel('c-cancel', 'reason=busy'), {
      status: 200,
      body: { status: 'cancelled', call_id: 'c-cancel', call_uuid: uuid, cancelled: false },
    });
    const again = await ctx.calls.get('acme', uuid);
    assert.equal(again?.endReason, 'hangup', 'the first cancel stands');
    assert.equal(again.endedAt, ctx.clock.now() - 1_000);
  });

  it('records the reason given, in a form or JSON body', async () => {
    assert.equal((await cancel('c-cancel', 'reason=answered_elsewhere')).body.cancelled, true);
    assert.equal((await ctx.calls.get('acme', uuid))?.endReason, 'answered_elsewhere');
    await ctx.calls.createOnce(ringingCall({ callId: 'c-json' }));
    const res = await cancel('c-json', JSON.stringify({ reason: 'busy' }), {
      'Content-Type': 'application/json',
    });
    assert.equal(res.body.cancelled, true);
    assert.equal((await ctx.calls.get('acme', callUuid('acme', 'c-json')))?.endReason, 'busy');
  });

  it('ends the call missed when the PBX gives up for its ring timeout, and says so', async () => {
    assert.deepEqual(await cancel('c-cancel', 'reason=timeout'), {
      status: 200,
      body: { status: 'missed', call_id: 'c-cancel', call_uuid: uuid, cancelled: true },
    });
    const stored = await ctx.calls.get('acme', uuid);
    assert.equal(stored?.status, 'missed');
    assert.equal(stored.endReason, 'timeout');
  });

  it('leaves an answered call as it is', async () => {
    await ctx.calls.transition('acme', uuid, () => ({ status: 'accepted' }));
    assert.deepEqual(await cancel('c-cancel'), {
      status: 200,
      body: { status: 'accepted', call_id: 'c-cancel', call_uuid: uuid, cancelled: false },
    });
    assert.equal((await ctx.calls.get('acme', uuid))?.cancel, undefined);
  });

  it('answers 404 for an unknown call', async () => {
    assert.deepEqual(await cancel('nope'), {
      status: 404,
      body: { error: 'not_found', message: 'No call nope is known.' },
    });
  });

  it('answers 400 for a reason the PBX may not give, changing nothing', async () => {
    for (const reason of ['declined', 'timeouts', '']) {
      const res = await cancel('c-cancel', `reason=${reason}`);
      assert.equal(res.status, 400, reason);
      assert.deepEqual(Object.keys(res.body.details as object), ['reason']);
    }
    assert.equal((await ctx.calls.get('acme', uuid))?.status, 'ringing');
  });

  it('answers 401 without a key or with an ID token', async () => {
    const idToken = signIn(ctx, 'uid-alice');
    for (const headers of [{ Authorization: '' }, { Authorization: `Bearer ${idToken}` }]) {
      assert.equal((await cancel('c-cancel', '', headers)).status, 401);
    }
    assert.equal((await ctx.calls.get('acme', uuid))?.status, 'ringing');
  });
});

describe('GET /v1/calls/{call_id}?wait=N through the router', () => {
  let ctx: FakeApiContext;
  const uuid = callUuid('acme', 'c-wait');
  const JSON_ACCEPT = { Accept: 'application/json' };

  beforeEach(async () => {
    ctx = fakeApiContext({ [KEY]: 'acme' });
    await ctx.calls.createOnce(
      ringingCall({
        callId: 'c-wait',
        devices: 2,
        pushed: 1,
        deliveries: {
          'pixel-8': delivery('accepted', { settledAt: NOW + 80, deliveredAt: NOW + 900 }),
          'iphone-15': delivery('failed', {
            platform: 'ios',
            provider: 'apns',
            kind: 'voip',
            attempts: 3,
            providerStatus: 503,
            reason: 'ServiceUnavailable',
          }),
        },
      }),
    );
  });

  const get = (query: string, headers: Record<string, string> = {}) =>
    handle(
      apiRequest('GET', '/v1/calls/c-wait', {
        headers: { Authorization: `Bearer ${KEY}`, ...headers },
        query,
      }),
      ctx,
    );

  it('answers 400 for a wait out of range or not a whole number', async () => {
    for (const wait of ['26', '-1', 'x', '1.5']) {
      const res = await get(`wait=${wait}`);
      assert.deepEqual(
        res,
        {
          status: 400,
          body: {
            error: 'invalid_argument',
            message: 'wait: must be 0 to 25 seconds',
            details: { wait: 'must be 0 to 25 seconds' },
          },
        },
        wait,
      );
    }
  });

  it('holds a ringing call until its state changes', async () => {
    // Virtual time: the cancel lands 3 ms into the 2 s wait.
    const started = ctx.clock.now();
    void ctx.clock
      .sleep(3)
      .then(() =>
        ctx.calls.transition('acme', uuid, (call) => applyPbxCancel(call, 'hangup', NOW + 3)),
      );
    const res = await get('wait=2');
    const waited = ctx.clock.now() - started;
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.end_reason, 'hangup');
    assert.equal(waited, 3, 'returned when the state changed, not at the end of the wait');
  });

  /** pixel-8's answer stored through `door`, `afterMs` into the test (the clock is virtual). */
  const answerLater = (door: AnswerDoor, action: 'accept' | 'decline', afterMs: number) =>
    ctx.clock
      .sleep(afterMs)
      .then(() =>
        ctx.calls.createAnswer(
          'acme',
          uuid,
          { action, deviceId: 'pixel-8', uid: 'uid-1', answeredAt: NOW + afterMs },
          door,
        ),
      );

  it('settles an answer the app wrote through Firestore as soon as it sees it, without its trigger', async () => {
    // No trigger runs in this test: only the long-poll can settle the answer.
    const started = ctx.clock.now();
    void answerLater('sdk', 'decline', 5);
    const res = await get('wait=20');
    assert.equal(res.body.status, 'declined');
    assert.equal(ctx.clock.now() - started, 5, 'answered when the app wrote, not at the end');
    assert.equal(ctx.calls.answer(uuid, 'pixel-8')?.outcome, 'won');
  });

  it('settles an answer already written but not settled when the long-poll starts, a moment later', async () => {
    // No trigger runs in this test: its answer stays unsettled unless the long-poll settles it.
    await answerLater('sdk', 'accept', 0);
    const started = ctx.clock.now();
    const res = await get('wait=20');
    assert.equal(res.body.status, 'accepted');
    assert.equal(ctx.clock.now() - started, EXISTING_ANSWER_GRACE_MS, "after the trigger's moment");
    assert.equal(ctx.calls.answer(uuid, 'pixel-8')?.outcome, 'won');
  });

  it('settles at once an answer written after the long-poll was held, though before it watched', async () => {
    // Its trigger finds this long-poll held before the answer and leaves the answer to it.
    const hold = ctx.longPolls.hold.bind(ctx.longPolls);
    ctx.longPolls.hold = async (...args) => {
      const poll = await hold(...args);
      await answerLater('sdk', 'decline', 1);
      return poll;
    };
    const started = ctx.clock.now();
    const res = await get('wait=20');
    assert.equal(res.body.status, 'declined');
    assert.equal(
      ctx.clock.now() - started,
      1,
      'settled when seen, with no moment left to a trigger',
    );
    assert.equal(ctx.calls.answer(uuid, 'pixel-8')?.outcome, 'won');
  });

  it('leaves an answer already there to its trigger for that moment: one settling, not two at once', async () => {
    await answerLater('sdk', 'decline', 0);
    const answer = {
      action: 'decline' as const,
      deviceId: 'pixel-8',
      uid: 'uid-1',
      answeredAt: NOW,
    };
    // The trigger, which found no long-poll held, settles it 200 ms on.
    void ctx.clock.sleep(200).then(() => ctx.calls.settleAnswer('acme', uuid, answer, NOW + 200));
    const settle = ctx.calls.settleAnswer.bind(ctx.calls);
    let settles = 0;
    ctx.calls.settleAnswer = (...args) => {
      settles += 1;
      return settle(...args);
    };
    const started = ctx.clock.now();
    const res = await get('wait=20');
    assert.equal(res.body.status, 'declined');
    assert.equal(ctx.clock.now() - started, 200, 'answered when the trigger settled it');
    await ctx.clock.sleep(EXISTING_ANSWER_GRACE_MS);
    assert.equal(settles, 1, 'settled by the trigger alone');
  });

  it('leaves an answer the answer route stored to that route, rather than contend with it', async () => {
    const started = ctx.clock.now();
    void answerLater('api', 'decline', 5);
    const res = await get('wait=2');
    assert.equal(res.body.status, 'ringing');
    assert.equal(ctx.clock.now() - started, 2_000, 'waited out its wait');
    assert.equal(ctx.calls.answer(uuid, 'pixel-8')?.outcome, undefined, 'not settled by the poll');
  });

  it('answers a call that is over at once, without waiting', async () => {
    await ctx.calls.transition('acme', uuid, (call) => applyPbxCancel(call, 'busy', NOW + 1));
    let waits = 0;
    const waitFor = ctx.calls.waitFor.bind(ctx.calls);
    ctx.calls.waitFor = (...args) => {
      waits += 1;
      return waitFor(...args);
    };
    const res = await get('wait=25');
    assert.equal(res.body.status, 'cancelled');
    assert.equal(waits, 0);
  });

  it('answers a ringing call at once without wait (or wait=0)', async () => {
    let waits = 0;
    ctx.calls.waitFor = () => {
      waits += 1;
      return Promise.resolve(null);
    };
    assert.equal((await get('')).body.status, 'ringing');
    assert.equal((await get('wait=0')).body.status, 'ringing');
    assert.equal(waits, 0);
  });

  it('asks the store to wait wait×1000 ms for the call to stop ringing', async () => {
    const asked: { uuid: string; timeoutMs: number; ringingDone: boolean; endedDone: boolean }[] =
      [];
    ctx.calls.waitFor = async (tenant, callUuid, done, timeoutMs) => {
      const call = (await ctx.calls.get(tenant, callUuid))!;
      asked.push({
        uuid: callUuid,
        timeoutMs,
        ringingDone: done(call),
        endedDone: done({ ...call, status: 'missed' }),
      });
      return call;
    };
    const res = await get('wait=7');
    assert.equal(res.body.status, 'ringing', 'still ringing when the wait ran out');
    assert.deepEqual(asked, [{ uuid, timeoutMs: 7_000, ringingDone: false, endedDone: true }]);
  });

  describe('at the ring deadline', () => {
    const late = callUuid('acme', 'c-late');
    const getLate = (query: string) =>
      handle(
        apiRequest('GET', '/v1/calls/c-late', {
          headers: { Authorization: `Bearer ${KEY}` },
          query,
        }),
        ctx,
      );

    beforeEach(async () => {
      await ctx.calls.createOnce(
        ringingCall({ callId: 'c-late', expiresAt: ctx.clock.now() + 2_000 }),
      );
    });

    it('returns a long-poll at the deadline with missed, and writes it', async () => {
      const started = ctx.clock.now();
      const res = await getLate('wait=25');
      assert.equal(ctx.clock.now() - started, 2_000, 'held until the deadline, not 25 s');
      assert.equal(res.body.status, 'missed');
      assert.equal(res.body.end_reason, 'timeout');
      const stored = await ctx.calls.get('acme', late);
      assert.equal(stored?.status, 'missed');
      assert.equal(stored.cancel?.state, 'pending', 'the cancel pushes follow');
    });

    it('answers missed to a plain GET after the deadline, and writes it', async () => {
      await ctx.clock.sleep(2_000);
      assert.equal((await getLate('')).body.status, 'missed');
      assert.equal((await ctx.calls.get('acme', late))?.status, 'missed');
    });

    it('answers missed even when the write fails (the deadline task or the job writes it)', async () => {
      await ctx.clock.sleep(2_001);
      ctx.calls.transition = () => Promise.reject(new Error('store down'));
      const res = await getLate('');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'missed');
    });

    it('answers ringing one millisecond before the deadline', async () => {
      await ctx.clock.sleep(1_999);
      assert.equal((await getLate('')).body.status, 'ringing');
    });

    it('tells a PBX that cancels after the deadline that the call was missed', async () => {
      await ctx.clock.sleep(3_000);
      const res = await handle(
        apiRequest('POST', '/v1/calls/c-late/cancel', {
          headers: { Authorization: `Bearer ${KEY}`, ...FORM },
          body: 'reason=hangup',
        }),
        ctx,
      );
      assert.equal(res.body.status, 'missed');
      assert.equal(res.body.cancelled, false);
      assert.equal((await ctx.calls.get('acme', late))?.endReason, 'timeout');
    });
  });

  it('shows each device on the timeline when JSON is asked for', async () => {
    const res = await get('', JSON_ACCEPT);
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(res.body.timeline, [
      {
        device_id: 'iphone-15',
        platform: 'ios',
        provider: 'apns',
        kind: 'voip',
        push_status: 'failed',
        attempts: 3,
        provider_status: 503,
        reason: 'ServiceUnavailable',
        pushed_at: iso(NOW),
      },
      {
        device_id: 'pixel-8',
        platform: 'android',
        provider: 'fcm',
        kind: 'data',
        push_status: 'accepted',
        attempts: 1,
        pushed_at: iso(NOW),
        provider_answered_at: iso(NOW + 80),
        delivered_at: iso(NOW + 900),
      },
    ]);
    assert.equal(res.body.status, 'ringing');
    assert.equal(res.body.pushed, 1);
  });

  it('puts answers and cancel outcomes on the timeline', async () => {
    await ctx.calls.transition('acme', uuid, () => ({
      status: 'accepted',
      answeredBy: 'pixel-8',
      deliveries: { 'pixel-8': { answer: 'accept', answeredAt: NOW + 2_000 } },
      cancels: {
        'iphone-15': { status: 'accepted', attempts: 1, pushedAt: NOW, settledAt: NOW },
      },
    }));
    const res = await get('', { Accept: 'application/vnd.api+json' });
    const timeline = res.body.timeline as Record<string, unknown>[];
    assert.equal(res.body.answered_by, 'pixel-8');
    assert.equal(timeline[0]?.cancel_status, 'accepted');
    assert.equal(timeline[1]?.answer, 'accept');
    assert.equal(timeline[1].answered_at, new Date(NOW + 2_000).toISOString());
  });

  it('leaves the timeline out for a client that does not ask for JSON', async () => {
    for (const headers of [{}, { Accept: '*/*' }, { Accept: 'text/plain' }] as Record<
      string,
      string
    >[]) {
      const res = await get('', headers);
      assert.equal(res.status, 200);
      assert.equal('timeline' in res.body, false, JSON.stringify(headers));
      assert.equal(res.body.status, 'ringing');
    }
  });
});
