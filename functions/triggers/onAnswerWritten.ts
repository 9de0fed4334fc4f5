import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { eventOptions } from '../config';
import { eventServices } from '../wiring';
import { handleAnswerWritten } from './handleAnswerWritten';

/** Settles an answer the app wrote through Firestore (handleAnswerWritten). */
export const onAnswerWritten = onDocumentWritten(
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
        data: event.data?.after.data(),
      },
      eventServices,
    ),
);
