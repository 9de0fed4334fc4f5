import { API_KEY, EXTENSION, type SimCall, type World } from '../world';
import { callApi, FORM } from './api';

const AUTH = { authorization: `Bearer ${API_KEY}` };

/**
 * The PBX for one call, as the Asterisk include (and Kamailio) drive callwake: POST /v1/calls
 * (retried or not), stray copies of it, the long-poll, a hang-up, and the cancel with reason
 * `timeout` at its own ring deadline. Every request goes through the real router.
 */
export function pbx(world: World, call: SimCall): Promise<void>[] {
  const { clock } = world;
  const { spec } = call;
  const at = (ms: number) => clock.sleep(call.startAt + ms - clock.now());
  let leave: () => void = () => undefined;
  const pushesLeft = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const post = async (crashAt: number | null, racing = false) => {
    const body = new URLSearchParams({
      call_id: call.callId,
      to: EXTENSION,
      ring_timeout: String(spec.ringTimeout),
    }).toString();
    const reply = await callApi(
      world,
      'pbx_post',
      call.callUuid,
      { method: 'POST', path: '/v1/calls', headers: { ...AUTH, ...FORM }, body },
      // The include's CURLOPT(httptimeout).
      10_000,
      (run) => {
        if (racing) void world.raceCreator(run, call).then(leave);
        if (crashAt === null) return;
        void clock.sleep(crashAt).then(() => {
          if (!world.plan.active || run.isDead() || run.endedAt !== null) return;
          world.plan.counts.crash.creator += 1;
          run.faults += 1;
          run.instance.kill(clock.now());
        });
      },
    );
    world.pbxReplies.push({
      callUuid: call.callUuid,
      runId: reply.run.id,
      route: 'post',
      startedAt: reply.startedAt,
      at: clock.now(),
      httpStatus: reply.httpStatus,
      body: reply.body,
    });
    return reply.httpStatus !== null && reply.httpStatus < 300;
  };
  const cancel = async (reason: 'hangup' | 'timeout') => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const reply = await callApi(
        world,
        'pbx_cancel',
        call.callUuid,
        {
          method: 'POST',
          path: `/v1/calls/${encodeURIComponent(call.callId)}/cancel`,
          headers: { ...AUTH, ...FORM },
          body: `reason=${reason}`,
        },
        5_000,
      );
      world.pbxReplies.push({
        callUuid: call.callUuid,
        runId: reply.run.id,
        route: 'cancel',
        startedAt: reply.startedAt,
        at: clock.now(),
        httpStatus: reply.httpStatus,
        body: reply.body,
      });
      if (reply.httpStatus !== null && reply.httpStatus < 500) return;
      await clock.sleep(500);
    }
  };
  const deadline = call.startAt + spec.ringTimeout * 1_000;
  const main = (async () => {
    await at(0);
    for (let i = 0; ; i += 1) {
      if (await post(i === 0 ? spec.crashCreatorAt : null, i === 0 && spec.creatorDiesInFlight))
        return;
      if (!spec.pbxRetries || clock.now() >= deadline) return;
      await clock.sleep(spec.retryDelays[i % spec.retryDelays.length] ?? 1_000);
    }
  })();
  const copies = spec.duplicatesAt.map(async (ms) => {
    await at(ms);
    await post(null);
  });
  const longPoll = (async () => {
    if (!spec.longPoll) return;
    await at(200);
    while (clock.now() < deadline) {
      const left = Math.floor((deadline - clock.now()) / 1_000);
      const reply = await callApi(
        world,
        'pbx_poll',
        call.callUuid,
        {
          method: 'GET',
          path: `/v1/calls/${encodeURIComponent(call.callId)}`,
          query: `wait=${Math.min(20, left)}`,
          headers: AUTH,
        },
        25_000,
      );
      if (reply.httpStatus === 200 && reply.body.status !== 'ringing') return;
      if (reply.httpStatus !== 200) await clock.sleep(1_000);
    }
  })();
  const hangup = (async () => {
    if (spec.hangupAt === null) return;
    await at(spec.hangupAt);
    await cancel('hangup');
  })();
  // The caller hangs up as the dying creator's pushes leave (if they ever do, before the deadline).
  const race = (async () => {
    if (!spec.creatorDiesInFlight) return;
    const stop = new AbortController();
    const left = await Promise.race([
      pushesLeft.then(() => true),
      clock.sleep(deadline - clock.now(), stop.signal).then(() => false),
    ]);
    stop.abort();
    if (left) await cancel('hangup');
  })();
  const timeout = (async () => {
    if (!spec.timeoutCancel) return;
    await at(spec.ringTimeout * 1_000);
    await cancel('timeout');
  })();
  return [main, ...copies, longPoll, hangup, race, timeout];
}
