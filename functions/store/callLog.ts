import type { Observation } from '../core/metrics/counters';
import type { Call } from '../core/model';

export interface LogLine {
  message: 'call outcome' | 'push outcome';
  fields: Record<string, string | number>;
}

/**
 * Structured log lines for what a call write changed, one per observation: Cloud Logging's
 * log-based metrics (docs/deploy.md) count and chart them by these fields. Ids and outcomes
 * only: no caller number or name, no token.
 */
export function callLogLines(call: Call, observations: readonly Observation[]): LogLine[] {
  const base = { tenant: call.tenant, call_uuid: call.callUuid };
  return observations.map((o): LogLine => {
    if (o.kind === 'outcome') {
      return {
        message: 'call outcome',
        fields: {
          ...base,
          outcome: o.outcome,
          devices: call.devices,
          pushed: call.pushed,
          ...(o.ringMs === undefined ? {} : { ring_ms: o.ringMs }),
          ...(o.answerMs === undefined ? {} : { answer_ms: o.answerMs }),
          ...(o.endMs === undefined ? {} : { end_ms: o.endMs }),
        },
      };
    }
    return {
      message: 'push outcome',
      fields: {
        ...base,
        kind: o.push,
        provider: o.provider,
        result: o.result,
        ...(o.latencyMs === undefined ? {} : { latency_ms: o.latencyMs }),
      },
    };
  });
}
