import type { Call } from '../../functions/core/model';
import type { CallSpec } from './scenario';

/** What the world records as a schedule runs: the calls, and what each side was told. */

/** One call of the schedule. */
export interface SimCall {
  index: number;
  spec: CallSpec;
  callId: string;
  callUuid: string;
  /** Absolute virtual time of its first POST. */
  startAt: number;
}

/** What the PBX heard back from a request about a call. */
export interface PbxReply {
  callUuid: string;
  runId: number;
  route: 'post' | 'cancel' | 'get';
  startedAt: number;
  at: number;
  /** null: no answer within the PBX's HTTP timeout. */
  httpStatus: number | null;
  body: Record<string, unknown>;
}

/** An answer an app made, and what it was told. */
export interface AppAnswer {
  callUuid: string;
  phone: number;
  action: 'accept' | 'decline';
  via: 'firestore' | 'https';
  at: number;
  httpStatus?: number;
  outcome?: string;
}

/** A registration change an app or the PBX made, and when it was acknowledged. */
export interface ChurnRecord {
  phone: number;
  kind: string;
  at: number;
  ackAt: number | null;
}

/** A write a trigger is delivered (Eventarc's event). */
export type TriggerEvent =
  | { kind: 'call'; callUuid: string; after: Call; at: number }
  | {
      kind: 'answer';
      callUuid: string;
      deviceId: string;
      data: Record<string, unknown>;
      at: number;
    };
