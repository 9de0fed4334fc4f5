import assert from 'node:assert/strict';
import { memberApp, type TestApp } from '../support/app';
import { createTenant, type TestTenant } from '../support/emulator';
import { endCalls } from '../support/endCalls';
import { api, retrying503, type Reply } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { startProviders, type Providers } from '../support/providers';
import { eventually, SUITE_TIMEOUT_MS } from '../support/wait';

/** A's numbers, small enough for this machine to flood ten times over. */
const A_LIMITS = {
  calls_per_second: 2,
  calls_in_flight: 4,
  app_devices_per_extension: 3,
  pbx_devices_per_extension: 3,
  devices_per_user: 3,
};
const FLOOD_FACTOR = 10;
const MAX_IN_FLIGHT = 6;
const B_CALLS = 12;

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * One tenant floods, another goes on ringing. Tenant A sends POST /v1/calls at ten times its
 * calls-per-second limit (and so past its calls in flight) and registers ten times its device
 * cap, from several requests at once; meanwhile tenant B rings its phone call after call. B's
 * ring time (POST → the push at the fake FCM) is measured quiet, then under A's flood, in the
 * same run; A's answers are counted by status: 2xx and 4xx (429, 409), never 5xx.
 */
describe('security: one tenant floods, another still rings (emulators, fake FCM)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  let fakes: Providers;
  let a: TestTenant;
  let b: TestTenant;
  let attacker: TestApp | undefined;
  const bToken = fcmToken();

  before(async () => {
    fakes = await startProviders();
    // B rings one call after another as fast as the API answers, over 10 a second on a quiet
    // machine: its own rate limit is not what this measures.
    [a, b] = await Promise.all([
      createTenant('live', { limits: A_LIMITS }),
      createTenant('live', { limits: { calls_per_second: 100 } }),
    ]);
    const desk = await api('PUT', '/v1/extensions/1001/devices/b-desk', {
      key: b.key,
      form: { platform: 'android', fcm_token: bToken },
    });
    assert.equal(desk.status, 201, desk.text);
    for (const ext of ['100', '101', '102', '103']) {
      const reply = await api('PUT', `/v1/extensions/${ext}/devices/a-desk-${ext}`, {
        key: a.key,
        form: { platform: 'android', fcm_token: fcmToken() },
      });
      assert.equal(reply.status, 201, reply.text);
    }
    attacker = await memberApp(a, '100');
  });
  after(async () => {
    await attacker?.close();
    // A's calls ring out and B's hang-ups queue their cancels behind the flood's triggers:
    // ended and drained here, they do not land in a later suite's snapshots.
    await endCalls(a);
    await endCalls(b);
  });

  /** One of B's calls: POST → its push at the fake FCM, in ms; then B hangs up. */
  async function ringB(): Promise<number> {
    const id = callId();
    const started = Date.now();
    const reply = await api('POST', '/v1/calls', {
      key: b.key,
      form: { call_id: id, to: '1001', ring_timeout: '30' },
    });
    assert.equal(reply.status, 201, `B's call: ${reply.text}`);
    assert.equal(reply.fields.status, 'ringing', `B's call: ${reply.text}`);
    // The phone rings when its push reaches FCM. `pushed` counts only the answers FCM gave
    // within the request's send budget: on a starved machine the answer may come after it.
    const pushOf = () =>
      fakes.fcm
        .requestsFor(bToken)
        .find((r) => r.receivedAt >= started && JSON.stringify(r.body).includes(id));
    const push = await eventually(pushOf, `B's push ${id} at the fake FCM`);
    // B hangs up, and sends it again after a 429 busy or a 503 as the API tells a PBX to.
    const cancel = await retrying503(
      () => api('POST', `/v1/calls/${id}/cancel`, { key: b.key }),
      10,
    );
    assert.equal(cancel.status, 200, cancel.text);
    return push.receivedAt - started;
  }

  it(`B's calls ring while A sends ${FLOOD_FACTOR}× its call limit and registers ${FLOOD_FACTOR}× its device cap; A gets 429s and 409s, never 5xx`, async () => {
    await ringB(); // warm: B's instance and connections, as in the flood phase
    const quiet: number[] = [];
    for (let i = 0; i < B_CALLS; i += 1) quiet.push(await ringB());

    const aReplies: Reply[] = [];
    let flooding = true;
    const rate = A_LIMITS.calls_per_second * FLOOD_FACTOR;
    const floodCalls = async () => {
      let sent = 0;
      const started = Date.now();
      const inFlight = new Set<Promise<void>>();
      while (flooding) {
        // Paced at `rate` a second, with at most MAX_IN_FLIGHT requests open (each one the
        // emulator serves with a worker process of its own).
        const due = started + (sent * 1000) / rate;
        if (inFlight.size >= MAX_IN_FLIGHT) {
          await Promise.race(inFlight);
          continue;
        }
        if (Date.now() < due) {
          await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          continue;
        }
        const ext = `10${sent % 4}`;
        sent += 1;
        const request = api('POST', '/v1/calls', {
          key: a.key,
          form: { call_id: callId(), to: ext, ring_timeout: '30' },
        }).then((r) => {
          aReplies.push(r);
          inFlight.delete(request);
        });
        inFlight.add(request);
      }
      await Promise.all(inFlight);
      return { sent, seconds: (Date.now() - started) / 1000 };
    };
    const floodDevices = async () => {
      const token = await attacker!.idToken();
      const cap = A_LIMITS.devices_per_user * FLOOD_FACTOR;
      for (let i = 0; i < cap; i += 2) {
        const batch = await Promise.all(
          [i, i + 1].map((n) =>
            api('PUT', `/v1/app/devices/flood-${n}`, {
              headers: { Authorization: `Bearer ${token}` },
              form: { extension: '100', platform: 'android', fcm_token: fcmToken() },
            }),
          ),
        );
        aReplies.push(...batch);
      }
      // The PBX's own budget, ten times over too.
      for (let i = 0; i < A_LIMITS.pbx_devices_per_extension * FLOOD_FACTOR; i += 1) {
        aReplies.push(
          await api('PUT', `/v1/extensions/100/devices/flood-desk-${i}`, {
            key: a.key,
            form: { platform: 'android', fcm_token: fcmToken() },
          }),
        );
      }
    };
    const calls = floodCalls();
    const devices = floodDevices();
    // Let the flood build up, then measure B under it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const flooded: number[] = [];
    for (let i = 0; i < B_CALLS; i += 1) flooded.push(await ringB());
    await devices;
    flooding = false;
    const { sent, seconds } = await calls;

    const byStatus = new Map<number, number>();
    const byError = new Map<string, number>();
    for (const r of aReplies) {
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      if (r.status >= 400) {
        const limit = typeof r.fields.limit === 'string' ? r.fields.limit : '-';
        const key = `${r.status} ${String(r.fields.error)}/${limit}`;
        byError.set(key, (byError.get(key) ?? 0) + 1);
      }
    }
    const show = (m: Map<number | string, number>) =>
      [...m].map(([k, n]) => `${k}: ${n}`).join(', ');
    console.log(
      `      A: ${sent} calls in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(1)}/s against a limit of ${A_LIMITS.calls_per_second}/s and ${A_LIMITS.calls_in_flight} in flight) and ${A_LIMITS.devices_per_user * FLOOD_FACTOR + A_LIMITS.pbx_devices_per_extension * FLOOD_FACTOR} device registrations (caps ${A_LIMITS.devices_per_user} per user, ${A_LIMITS.pbx_devices_per_extension} PBX per extension)`,
    );
    console.log(`      A's answers by status: ${show(byStatus)}; refusals: ${show(byError)}`);
    console.log(
      `      B's ring p50 (POST → push at the fake FCM, ${B_CALLS} calls each): quiet ${p50(quiet)} ms, under A's flood ${p50(flooded)} ms; max ${Math.max(...quiet)} / ${Math.max(...flooded)} ms`,
    );
    assert.equal(
      [...byStatus.keys()].filter((s) => s >= 500).length,
      0,
      `A got no 5xx: ${show(byStatus)}`,
    );
    assert.ok((byStatus.get(429) ?? 0) > 0 && (byStatus.get(409) ?? 0) > 0, show(byError));
    assert.ok(sent >= A_LIMITS.calls_per_second * FLOOD_FACTOR, `${sent} calls sent`);
    // Every one of B's calls rang (ringB asserts it); the figures above are what B felt.
  });
});
