import { isEmulator, REGION } from '../config';
import { deadlineTaskId } from '../core/deadline';
import type { Call } from '../core/model';
import { firestore } from '../store/firestore';

/**
 * Schedules the task that ends `call` at its deadline (onCallDeadline), once per call: a
 * second enqueue of the same task id is refused by Cloud Tasks as already existing, which is
 * success here. Any other failure throws, and the trigger that called this is retried.
 *
 * On the emulator without the Cloud Tasks emulator (a suite started without it) nothing is
 * scheduled: firebase-admin would try the real Cloud Tasks. The API and the minute job still end
 * the call.
 */
export async function scheduleDeadline(call: Pick<Call, 'tenant' | 'callUuid' | 'expiresAt'>) {
  if (isEmulator() && !process.env.CLOUD_TASKS_EMULATOR_HOST) return 'no_queue';
  await firestore(); // initializes the default app, which getFunctions() uses
  const { getFunctions } = await import('firebase-admin/functions');
  const queue = getFunctions().taskQueue(`locations/${REGION.value()}/functions/onCallDeadline`);
  try {
    await queue.enqueue(
      { tenant: call.tenant, callUuid: call.callUuid, expiresAt: call.expiresAt },
      { id: deadlineTaskId(call.callUuid), scheduleTime: new Date(call.expiresAt) },
    );
    return 'scheduled';
  } catch (err) {
    if ((err as { code?: unknown }).code === 'functions/task-already-exists') return 'scheduled';
    throw err;
  }
}
