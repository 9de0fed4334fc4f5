import { onDocumentWritten } from 'firebase-functions/v2/firestore';
import { CANCEL_MIN_INSTANCES, eventOptions } from '../config';
import type { Call } from '../core/model';
import { scheduleDeadline } from '../tasks/deadlineQueue';
import { eventServices } from '../wiring/services';
import { handleCallWritten } from './handleCallWritten';

/**
 * A call created ringing gets the task that ends it at its deadline (tasks/onCallDeadline.ts);
 * scheduling it failing throws, and the platform retries the event. Once the call stops ringing,
 * the cancel pushes (handleCallWritten).
 */
export const onCallWritten = onDocumentWritten(
  {
    ...eventOptions({ sendsPushes: true }),
    minInstances: CANCEL_MIN_INSTANCES,
    document: 'tenants/{tenant}/calls/{callUuid}',
    retry: true,
  },
  async (event) => {
    const after = event.data?.after.data() as Call | undefined;
    if (after?.status === 'ringing' && !event.data?.before.exists) {
      await scheduleDeadline(after);
      return;
    }
    await handleCallWritten(
      {
        tenant: event.params.tenant,
        callUuid: event.params.callUuid,
        time: event.time,
        after,
      },
      eventServices,
    );
  },
);
