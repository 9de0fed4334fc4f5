import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { applyReceipt } from '../core/callState';
import { isTimestamp } from '../store/firestore';
import { getServices } from '../wiring';

/** The app acknowledged a push: the device's timeline gets its delivered time (once). */
export const onReceiptWritten = onDocumentWritten(
  'tenants/{tenant}/calls/{callUuid}/receipts/{deviceId}',
  async (event) => {
    const receivedAt: unknown = event.data?.after.get('receivedAt');
    if (!isTimestamp(receivedAt)) return;
    const { calls } = await getServices();
    const { tenant, callUuid, deviceId } = event.params;
    await calls.transition(tenant, callUuid, (call) =>
      applyReceipt(call, deviceId, receivedAt.toMillis()),
    );
  },
);
