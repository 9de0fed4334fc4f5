/** The pushes a tenant in outbox mode stores (pushOutbox) instead of sending them. */
import { db } from '../../support/emulator';

export interface OutboxPush {
  callId: string;
  deviceId: string;
  /** When callwake rendered it (ms since the epoch). */
  createdAt: number;
  body?: { message?: { data?: Record<string, string> } };
}

export const dataOf = (push: OutboxPush | undefined): Record<string, string | undefined> =>
  push?.body?.message?.data ?? {};

/** Resolves with the push stored for `callId` that `accept(pushes)` picks, once there is one. */
export function watchOutbox(
  callId: string,
  accept: (pushes: OutboxPush[]) => OutboxPush | undefined,
  ms = 20_000,
): Promise<OutboxPush> {
  let unsubscribe: () => void = () => undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching push in pushOutbox for ${callId} within ${ms} ms`));
    }, ms);
    unsubscribe = db()
      .collection('pushOutbox')
      .where('callId', '==', callId)
      .onSnapshot(
        (snap) => {
          const match = accept(snap.docs.map((d) => d.data() as OutboxPush));
          if (match) {
            clearTimeout(timer);
            unsubscribe();
            resolve(match);
          }
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
  });
}

/** The push of `type` for `deviceId` among `pushes`. */
export const pushOf = (pushes: OutboxPush[], deviceId: string, type: string) =>
  pushes.find((p) => p.deviceId === deviceId && dataOf(p).type === type);
