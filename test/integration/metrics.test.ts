import assert from 'node:assert/strict';
import { memberApp, registerAppDevice, type TestApp } from '../support/app';
import { createScrapeKey } from '../../functions/store/scrapeKeyStore';
import { BASE_URL, createTenant, db, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { cancelPushes, startProviders, type Providers } from '../support/providers';
import { promtoolCheck, startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { eventually } from '../support/wait';

/** `name{labels} value` lines of an exposition, by their name and labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('GET /v1/metrics: scraped by a real Prometheus (emulator)', function () {
  this.timeout(240_000);
  let fakes: Providers;
  let tenant: TestTenant;
  let other: TestTenant;
  let app: TestApp;
  let prometheus: RunningPrometheus | undefined;
  const pixel = fcmToken();
  const tablet = fcmToken();

  const metrics = (key: string) =>
    fetch(`${BASE_URL}/v1/metrics`, { headers: { Authorization: `Bearer ${key}` } });
  const ring = async (to: string, extra: Record<string, string> = {}) => {
    const id = callId();
    const reply = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to, from: '5551234', ...extra },
    });
    assert.ok(reply.status === 201, reply.text);
    return id;
  };

  before(async () => {
    fakes = await startProviders();
    tenant = await createTenant('live');
    other = await createTenant('live');
    app = await memberApp(tenant, '100');
    await registerAppDevice(app, 'pixel', {
      extension: '100',
      platform: 'android',
      fcm_token: pixel,
    });
    const reply = await api('PUT', '/v1/extensions/100/devices/tablet', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: tablet },
    });
    assert.equal(reply.status, 201, reply.text);
    // Extension 300 had a desk phone once: a call to it finds no devices (no_devices), where a
    // call to an extension never used is a typo (unknown_extension).
    const desk = await api('PUT', '/v1/extensions/300/devices/desk', {
      key: tenant.key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(desk.status, 201, desk.text);
    const gone = await api('DELETE', '/v1/extensions/300/devices/desk', { key: tenant.key });
    assert.equal(gone.status, 200, gone.text);
  });
  after(async () => {
    await prometheus?.stop();
    await app.close();
  });

  it('counts each outcome once, the pushes by provider and result, and the latencies', async () => {
    const appAnswer = async (id: string, action: 'accept' | 'decline') => {
      const reply = await api('POST', `/v1/app/calls/${id}/answer`, {
        headers: { Authorization: `Bearer ${await app.idToken()}` },
        form: { action, device_id: 'pixel' },
      });
      assert.equal(reply.status, 200, reply.text);
    };
    await appAnswer(await ring('100'), 'accept');
    await appAnswer(await ring('100'), 'decline');
    const cancelled = await ring('100');
    const cancel = await api('POST', `/v1/calls/${cancelled}/cancel`, {
      key: tenant.key,
      form: { reason: 'hangup' },
    });
    assert.equal(cancel.status, 200, cancel.text);
    await ring('300'); // no devices any more
    await ring('999'); // never used
    // Every ended call stops the tablet ringing: three cancel pushes reach the fake FCM.
    await eventually(
      () => cancelPushes(fakes.fcm, tablet).length >= 3,
      'the cancel pushes',
      90_000,
    );

    const text = await eventually(
      async () => {
        const body = await (await metrics(tenant.key)).text();
        const s = samples(body);
        // Cancels: the tablet after the accept and after the decline, both after the hang-up.
        const cancels = s.get(
          'callwake_pushes_total{provider="fcm",kind="cancel",result="accepted"}',
        );
        return cancels === 4 ? body : undefined;
      },
      'the counters to settle',
      90_000,
    );
    const s = samples(text);
    assert.equal(s.get('callwake_calls_total{outcome="accepted"}'), 1);
    assert.equal(s.get('callwake_calls_total{outcome="declined"}'), 1);
    assert.equal(s.get('callwake_calls_total{outcome="cancelled"}'), 1);
    assert.equal(s.get('callwake_calls_total{outcome="no_devices"}'), 1);
    assert.equal(s.get('callwake_calls_total{outcome="unknown_extension"}'), 1);
    assert.equal(s.get('callwake_calls_total{outcome="missed"}'), 0);
    // Three calls rang two phones each.
    assert.equal(
      s.get('callwake_pushes_total{provider="fcm",kind="incoming",result="accepted"}'),
      6,
    );
    assert.equal(s.get('callwake_ring_latency_seconds_count{provider="fcm"}'), 6);
    assert.equal(s.get('callwake_ring_latency_seconds_bucket{provider="fcm",le="+Inf"}'), 6);
    assert.ok((s.get('callwake_ring_latency_seconds_sum{provider="fcm"}') ?? 0) > 0);
    assert.equal(s.get('callwake_cancel_latency_seconds_count{provider="fcm"}'), 4);
    assert.equal(s.get('callwake_devices{platform="android"}'), 2);
    assert.equal(s.get('callwake_devices{platform="ios"}'), 0);
    assert.equal(s.get('callwake_devices{platform="web"}'), 0);
    // Every provider is listed, from zero: none but FCM pushed here.
    for (const provider of ['apns', 'webpush', 'hms']) {
      assert.equal(
        s.get(`callwake_pushes_total{provider="${provider}",kind="incoming",result="accepted"}`),
        0,
        provider,
      );
    }

    const check = await promtoolCheck(text);
    assert.deepEqual(check, { code: 0, output: '' }, 'promtool check metrics finds no problem');

    // A scrape reads the tenant's counter shards: 16 documents at most.
    const shards = await db().collection(`tenants/${tenant.id}/metricShards`).get();
    assert.ok(shards.size >= 1 && shards.size <= 16, `${shards.size} shards`);
  });

  it("shows a tenant only its own figures, and nothing without the tenant's key", async () => {
    const s = samples(await (await metrics(other.key)).text());
    assert.equal(s.get('callwake_calls_total{outcome="accepted"}'), 0);
    assert.equal(s.get('callwake_devices{platform="android"}'), 0);
    assert.equal((await metrics('cwk_not_a_key_0123456789abcdef')).status, 401);
    const anonymous = await fetch(`${BASE_URL}/v1/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal((await metrics(await app.idToken())).status, 401);
  });

  it('a deployment-wide scrape key shows every tenant, labelled, and opens no PBX route', async () => {
    const { key } = await createScrapeKey(db());
    const s = samples(await (await metrics(key)).text());
    assert.equal(s.get(`callwake_calls_total{tenant="${tenant.id}",outcome="accepted"}`), 1);
    assert.equal(s.get(`callwake_devices{tenant="${tenant.id}",platform="android"}`), 2);
    assert.equal(
      s.get(`callwake_calls_total{tenant="${other.id}",outcome="accepted"}`),
      undefined,
      'a tenant with no counters yet is left out',
    );
    for (const [method, path] of [
      ['POST', '/v1/calls'],
      ['GET', '/v1/extensions/100/devices'],
    ] as const) {
      const form = method === 'POST' ? { form: { call_id: callId(), to: '100' } } : {};
      assert.equal((await api(method, path, { key, ...form })).status, 401);
    }
  });

  it('a real Prometheus scrapes it with the key and answers PromQL with the calls by outcome', async () => {
    const base = new URL(BASE_URL);
    const scraper = await startPrometheus({
      target: base.host,
      metricsPath: `${base.pathname}/v1/metrics`,
      bearer: tenant.key,
      labels: { tenant: tenant.id },
    });
    prometheus = scraper;
    const byOutcome = await eventually(
      async () => {
        const result = await scraper.query(
          `sum by (outcome) (callwake_calls_total{job="callwake",tenant="${tenant.id}"})`,
        );
        return result.length === 6 ? result : undefined;
      },
      'Prometheus to scrape the calls',
      90_000,
    );
    const got = Object.fromEntries(byOutcome.map((r) => [r.metric.outcome ?? '', r.value]));
    assert.deepEqual(got, {
      accepted: 1,
      declined: 1,
      cancelled: 1,
      no_devices: 1,
      unknown_extension: 1,
      missed: 0,
    });
    const up = await scraper.query(`up{job="callwake"}`);
    assert.equal(up[0]?.value, 1);
    const p50 = await scraper.query(
      `histogram_quantile(0.5, sum by (le) (callwake_ring_latency_seconds_bucket{job="callwake"}))`,
    );
    assert.ok((p50[0]?.value ?? 0) > 0, 'the ring latency histogram answers a quantile');
  });
});
