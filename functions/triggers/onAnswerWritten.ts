import { onDocumentCreated } from 'firebase-functions/v2/firestore';
import { eventOptions } from '../config';
import { eventServices } from '../wiring/services';
import { handleAnswerWritten } from './handleAnswerWritten';

/**
 * Settles an answer the app wrote through Firestore (handleAnswerWritten). On its creation only:
 * the rules let an app create an answer and never change it, and the one later write, the
 * outcome, is the server's own.
 */
export const onAnswerWritten = onDocumentCreated(
  {
    ...eventOptions({ sendsPushes: false }),
    document: 'tenants/{tenant}/calls/{callUuid}/answers/{deviceId}',
    retry: true,
  },
  (event) =>
    handleAnswerWritten(
      {
        tenant: event.params.tenant,
        callUuid: event.params.callUuid,
        deviceId: event.params.deviceId,
        time: event.time,
        createdAt: event.data?.createTime.toMillis(),
        data: event.data?.data(),
      },
      eventServices,
    ),
);
