/**
 * When the task that ends a call at its deadline runs, and what it does then. Pure: the task
 * function (tasks/onCallDeadline.ts) and its tests share it.
 */
import type { Call } from '../model';

/** A task that arrives this close to the deadline waits for it instead of coming back. */
export const DEADLINE_WAIT_MS = 1_500;

export type DeadlineStep =
  /** Too early: answer "not yet" so the queue redelivers it (see onCallDeadline). */
  | { kind: 'retry' }
  /** Wait this long, then expire. */
  | { kind: 'wait'; ms: number }
  | { kind: 'expire' };

/**
 * Cloud Tasks delivers a task at its schedule time, so a deployed task finds the deadline
 * reached. firebase-tools' Cloud Tasks emulator ignores the schedule time and dispatches at once
 * (lib/emulator/taskQueue.js: dispatchTasks never reads task.scheduleTime): there the task asks
 * to be retried, every second by the queue's retry config, until it is within DEADLINE_WAIT_MS
 * or the call has stopped ringing (deadlineMoot).
 */
export function deadlineStep(expiresAt: number, now: number): DeadlineStep {
  const left = expiresAt - now;
  if (left > DEADLINE_WAIT_MS) return { kind: 'retry' };
  if (left > 0) return { kind: 'wait', ms: left };
  return { kind: 'expire' };
}

/**
 * An early task (see deadlineStep) for a call that no longer rings, or is gone, has nothing left
 * to do: the call can never ring again, so asking the queue back every second until the deadline
 * would only load it (on the emulator, a run a second for each call's whole ring time).
 */
export const deadlineMoot = (call: Pick<Call, 'status'> | null) => call?.status !== 'ringing';

/** The deadline task's id: one per call, so a trigger run twice schedules it once. */
export const deadlineTaskId = (callUuid: string) => `deadline-${callUuid}`;
