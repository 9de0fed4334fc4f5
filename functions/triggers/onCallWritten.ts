import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { eventOptions } from '../config';
import type { Call } from '../core/model';
import { eventServices } from '../wiring';
import { handleCallWritten } from './handleCallWritten';

/** Sends the cancel pushes once a call stops ringing (handleCallWritten). */
export const onCallWritten = onDocumentWritten(
  {
    ...eventOptions({ sendsPushes: true }),
    document: 'tenants/{tenant}/calls/{callUuid}',
    retry: true,
  },
  (event) =>
    handleCallWritten(
      {
        tenant: event.params.tenant,
        callUuid: event.params.callUuid,
        time: event.time,
        after: event.data?.after.data() as Call | undefined,
      },
      eventServices,
    ),
);
