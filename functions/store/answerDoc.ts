import { z } from 'zod';
import type { StoredAnswer } from '../core/ports';
import { isTimestamp } from './firestore';

/** An answer as the rules let the app write it (the server adds `outcome`). */
const answerDoc = z.object({
  action: z.enum(['accept', 'decline']),
  deviceId: z.string(),
  uid: z.string(),
  answeredAt: z.custom<{ toMillis(): number }>(isTimestamp, 'must be a server timestamp'),
  outcome: z.enum(['won', 'late']).optional(),
  // Only the server writes it (the rules refuse any other key from an app): the answer route's.
  door: z.literal('api').optional(),
});

/** An answer document as read: the app's answer, and its outcome once settled. */
export interface AnswerRead extends StoredAnswer {
  /** Set when the answer route stored it (it settles the answer itself). */
  door?: 'api';
}

/**
 * The answer document stored as `answers/{deviceId}`, or null when it is not one the rules
 * would have let an app write for that device: the trigger and a waiting long-poll both settle
 * only what this reads.
 */
export function parseAnswerDoc(data: unknown, deviceId: string): AnswerRead | null {
  const parsed = answerDoc.safeParse(data);
  if (!parsed.success || parsed.data.deviceId !== deviceId) return null;
  const { action, uid, answeredAt, outcome, door } = parsed.data;
  return {
    answer: { action, deviceId, uid, answeredAt: answeredAt.toMillis() },
    ...(outcome ? { outcome } : {}),
    ...(door ? { door } : {}),
  };
}
