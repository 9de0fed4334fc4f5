import { onDocumentCreated } from 'firebase-functions/v2/firestore';
import { eventOptions } from '../config';
import { applyReceipt } from '../core/call/callState';
import { isTimestamp } from '../store/firestore';
import { getServices } from '../wiring/services';
import { tooOld } from './retries';

/**
 * The app acknowledged a push: the device's timeline gets its delivered time (once). On its
 * creation only: a receipt is created once and never changed (the rules).
 */
export const onReceiptWritten = onDocumentCreated(
  {
    ...eventOptions({ sendsPushes: false }),
    document: 'tenants/{tenant}/calls/{callUuid}/receipts/{deviceId}',
    retry: true,
  },
  async (event) => {
    const receivedAt: unknown = event.data?.get('receivedAt');
    if (!isTimestamp(receivedAt)) return;
    const { events, clock } = await getServices();
    if (tooOld(event.time, clock.now())) return;
    const { tenant, callUuid, deviceId } = event.params;
    await events.calls.transition(tenant, callUuid, (call) =>
      applyReceipt(call, deviceId, receivedAt.toMillis()),
    );
  },
);
