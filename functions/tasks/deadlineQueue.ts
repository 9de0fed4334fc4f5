import { isEmulator, REGION } from '../config';
import { deadlineTaskId } from '../core/call/deadline';
import type { Call } from '../core/model';
import { firestore } from '../store/firestore';
import type { App } from 'firebase-admin/app';

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
  const { getFunctions } = await import('firebase-admin/functions');
  const queue = getFunctions(await tasksApp()).taskQueue(
    `locations/${REGION.value()}/functions/onCallDeadline`,
  );
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

/** The emulators' stand-in for the account that signs a task's OIDC token (firebase-admin's). */
const EMULATED_SERVICE_ACCOUNT = 'emulated-service-acct@email.com';

/**
 * The app whose client enqueues the task. Deployed: the default app, whose service account the
 * metadata server names (once, then cached). On the emulator there is no metadata server, and
 * firebase-admin 14.5 (functions-api-client-internal.js, getServiceAccount and its caller) falls
 * back to the emulated account only after the lookup fails, caching nothing: about 2 s per
 * enqueue, every call, in a trigger the emulators run one at a time. An app that names the
 * account skips the lookup.
 */
async function tasksApp(): Promise<App> {
  if (!isEmulator()) {
    await firestore(); // initializes the default app
    const { getApp } = await import('firebase-admin/app');
    return getApp();
  }
  const { getApps, initializeApp } = await import('firebase-admin/app');
  const name = 'callwake-tasks';
  return (
    getApps().find((app) => app.name === name) ??
    initializeApp(
      { serviceAccountId: EMULATED_SERVICE_ACCOUNT, projectId: process.env.GCLOUD_PROJECT },
      name,
    )
  );
}
