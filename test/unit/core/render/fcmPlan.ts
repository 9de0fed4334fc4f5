import { TEST_ENDPOINTS } from '../../../support/fakes';
import { FCM_TOKEN } from '../fixtures';

/** The FCM v1 send of TEST_ENDPOINTS' project. */
export const FCM_URL = `${TEST_ENDPOINTS.fcmOrigin}/v1/projects/${TEST_ENDPOINTS.projectId}/messages:send`;

/**
 * The plan of an FCM push to FCM_TOKEN of the device: `message`, besides the token, is what the
 * test expects the push to carry.
 */
export const fcmPlan = (deviceId: string, kind: string, message: Record<string, unknown>) => ({
  deviceId,
  kind,
  push: {
    provider: 'fcm',
    url: FCM_URL,
    method: 'POST',
    headers: {},
    token: FCM_TOKEN,
    body: { message: { token: FCM_TOKEN, ...message } },
  },
});
