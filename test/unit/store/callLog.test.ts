import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { observe } from '../../../functions/core/metrics/counters';
import type { Call } from '../../../functions/core/model';
import { callLogLines } from '../../../functions/store/callLog';

const T0 = 1_700_000_000_000;
const ringing: Call = {
  tenant: 'acme',
  callId: 'call-1',
  callUuid: '6d88db0f-7501-52e7-8474-62dc71535ef8',
  extension: '1001',
  sipCallId: 'sip-1',
  status: 'ringing',
  ringTimeout: 30,
  createdAt: T0,
  expiresAt: T0 + 30_000,
  devices: 2,
  pushed: 2,
  from: '+15551234567',
  fromName: 'Alice Caller',
  deliveries: {
    android: {
      platform: 'android',
      provider: 'fcm',
      kind: 'data',
      status: 'accepted',
      attempts: 1,
      pushedAt: T0 + 5,
      settledAt: T0 + 40,
    },
    iphone: {
      platform: 'ios',
      provider: 'apns',
      kind: 'voip',
      status: 'accepted',
      attempts: 1,
      pushedAt: T0 + 5,
      settledAt: T0 + 65,
    },
  },
};
const accepted: Call = {
  ...ringing,
  status: 'accepted',
  answeredBy: 'android',
  answeredAt: T0 + 2_000,
  endedAt: T0 + 2_000,
  endReason: 'answered',
  cancels: {
    iphone: { status: 'accepted', attempts: 1, pushedAt: T0 + 2_010, settledAt: T0 + 2_090 },
  },
};

/** The field table of docs/deploy.md's log-based metrics, by message. */
function documentedFields(): Map<string, string[]> {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'deploy.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\|\s*`(call|push) outcome`/.test(l));
  return new Map(
    rows.map((row) => {
      const [message = '', fields = ''] = row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      const names = [...fields.matchAll(/`([a-z_]+)`(?!\))/g)].map((m) => m[1] ?? '');
      return [message.replace(/`/g, ''), names.filter((n) => !/^(incoming|cancel)$/.test(n))];
    }),
  );
}

describe('call log lines (Cloud Logging log-based metrics)', () => {
  it('logs the outcome of an answered call with its latencies, and each push with its own', () => {
    const lines = callLogLines(accepted, observe(ringing, accepted));
    assert.deepEqual(lines, [
      {
        message: 'call outcome',
        fields: {
          tenant: 'acme',
          call_uuid: ringing.callUuid,
          outcome: 'accepted',
          devices: 2,
          pushed: 2,
          ring_ms: 40,
          answer_ms: 2_000,
          end_ms: 2_000,
        },
      },
      {
        message: 'push outcome',
        fields: {
          tenant: 'acme',
          call_uuid: ringing.callUuid,
          kind: 'cancel',
          // An iPhone's cancel travels through FCM.
          provider: 'fcm',
          result: 'accepted',
          latency_ms: 90,
        },
      },
    ]);
  });

  it('logs each incoming push once, when its outcome is recorded', () => {
    const created = { ...ringing, deliveries: {} };
    const lines = callLogLines(ringing, observe(created, ringing));
    assert.deepEqual(
      lines.map((l) => [l.message, l.fields.provider, l.fields.latency_ms]),
      [
        ['push outcome', 'fcm', 40],
        ['push outcome', 'apns', 65],
      ],
    );
    assert.deepEqual(callLogLines(ringing, observe(ringing, ringing)), []);
  });

  it('carries no caller number or name, nor the extension', () => {
    const text = JSON.stringify(callLogLines(accepted, observe(ringing, accepted)));
    for (const secret of ['+15551234567', 'Alice Caller', '1001', 'sip-1']) {
      assert.equal(text.includes(secret), false, secret);
    }
  });

  it('writes the fields docs/deploy.md tells log-based metrics to read, and only those', () => {
    const documented = documentedFields();
    const lines = callLogLines(accepted, observe(null, accepted));
    for (const message of ['call outcome', 'push outcome']) {
      const logged = new Set(
        lines.filter((l) => l.message === message).flatMap((l) => Object.keys(l.fields)),
      );
      assert.deepEqual([...logged].sort(), [...(documented.get(message) ?? [])].sort(), message);
    }
  });
});
