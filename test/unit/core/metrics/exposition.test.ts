import assert from 'node:assert/strict';
import { renderExposition } from '../../../../functions/core/metrics/exposition';

const figures = {
  tenant: 'acme',
  counters: {
    'calls|accepted': 3,
    'calls|missed': 1,
    'pushes|fcm|incoming|accepted': 4,
    'ring|fcm|b1': 3,
    'ring|fcm|b4': 1,
    'ring|fcm|sum_ms': 520,
    'ring|fcm|count': 4,
    'pushes|webpush|incoming|accepted': 2,
  },
  devices: { android: 2, ios: 1, web: 0 },
};

const lines = (text: string) => text.trimEnd().split('\n');

describe('the Prometheus exposition', () => {
  const text = renderExposition([figures], false);

  it('types every family, and every outcome from zero', () => {
    assert.match(text, /^# TYPE callwake_calls_total counter$/m);
    assert.match(text, /^# TYPE callwake_ring_latency_seconds histogram$/m);
    assert.match(text, /^# TYPE callwake_devices gauge$/m);
    assert.ok(lines(text).includes('callwake_calls_total{outcome="accepted"} 3'));
    assert.ok(lines(text).includes('callwake_calls_total{outcome="declined"} 0'));
    assert.ok(lines(text).includes('callwake_devices{platform="ios"} 1'));
  });

  it('histograms are cumulative in seconds, +Inf equal to the count', () => {
    const ring = lines(text).filter(
      (l) => l.startsWith('callwake_ring_latency_seconds') && l.includes('provider="fcm"'),
    );
    assert.ok(ring.includes('callwake_ring_latency_seconds_bucket{provider="fcm",le="0.025"} 0'));
    assert.ok(ring.includes('callwake_ring_latency_seconds_bucket{provider="fcm",le="0.05"} 3'));
    assert.ok(ring.includes('callwake_ring_latency_seconds_bucket{provider="fcm",le="0.5"} 4'));
    assert.ok(ring.includes('callwake_ring_latency_seconds_bucket{provider="fcm",le="+Inf"} 4'));
    assert.ok(ring.includes('callwake_ring_latency_seconds_sum{provider="fcm"} 0.52'));
    assert.ok(ring.includes('callwake_ring_latency_seconds_count{provider="fcm"} 4'));
  });

  it('says what each family is, and shows push providers only from push counters', () => {
    assert.match(text, /^# HELP callwake_calls_total \S.+$/m);
    const odd = renderExposition(
      [{ ...figures, counters: { ...figures.counters, 'pushes|mipush|cancel|accepted': 1 } }],
      false,
    );
    assert.ok(
      lines(odd).includes(
        'callwake_pushes_total{provider="mipush",kind="cancel",result="accepted"} 1',
      ),
    );
    assert.ok(!odd.includes('provider="mipush",kind="incoming"'), 'an incoming family of its own');
    assert.ok(!odd.includes('provider="accepted"'), 'no provider from the calls counters');
  });

  it('gives every family a help text', () => {
    const types = [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]);
    assert.ok(types.length >= 5, types.join());
    for (const name of types) assert.match(text, new RegExp(`^# HELP ${name} \\S.+$`, 'm'));
  });

  it('shows iPhone (APNs) series for incoming calls only: iOS cancels are not pushed', () => {
    assert.ok(
      lines(text).includes(
        'callwake_pushes_total{provider="apns",kind="incoming",result="accepted"} 0',
      ),
    );
    assert.ok(lines(text).includes('callwake_ring_latency_seconds_count{provider="apns"} 0'));
    assert.ok(!text.includes('provider="apns",kind="cancel"'));
    assert.ok(!text.includes('callwake_cancel_latency_seconds_count{provider="apns"}'));
    assert.ok(lines(text).includes('callwake_cancel_latency_seconds_count{provider="fcm"} 0'));
  });

  it('labels no provider but those of the push counters and the four it knows', () => {
    const labels = new Set([...text.matchAll(/provider="([^"]*)"/g)].map((m) => m[1]));
    assert.deepEqual([...labels].sort(), ['apns', 'fcm', 'hms', 'webpush']);
  });

  it('shows a provider it does not know yet once a counter names it', () => {
    assert.ok(
      lines(text).includes(
        'callwake_pushes_total{provider="webpush",kind="incoming",result="accepted"} 2',
      ),
    );
  });

  it('labels each sample with its tenant when several are shown, escaping label values', () => {
    const many = renderExposition([figures, { ...figures, tenant: 'a"b\\c\nd' }], true);
    assert.ok(lines(many).includes('callwake_calls_total{tenant="acme",outcome="accepted"} 3'));
    assert.ok(
      lines(many).includes('callwake_calls_total{tenant="a\\"b\\\\c\\nd",outcome="accepted"} 3'),
    );
  });
});
