// Where the integration tests' fake FCM, APNs, Web Push and HMS servers listen, passed to
// the functions emulator (which inherits this environment).
import { join } from 'node:path';

export const FAKE_PORTS = {
  fcm: 9466,
  apnsProduction: 9467,
  apnsSandbox: 9468,
  webPush: 9469,
  hms: 9470,
};

export const TEST_ENV = (root) => ({
  CALLWAKE_FCM_ORIGIN: `http://127.0.0.1:${FAKE_PORTS.fcm}`,
  CALLWAKE_APNS_PRODUCTION_ORIGIN: `https://127.0.0.1:${FAKE_PORTS.apnsProduction}`,
  CALLWAKE_APNS_SANDBOX_ORIGIN: `https://127.0.0.1:${FAKE_PORTS.apnsSandbox}`,
  CALLWAKE_APNS_CA_FILE: join(root, '.cache', 'test', 'apns-ca.pem'),
  CALLWAKE_FCM_ACCESS_TOKEN: 'test-fcm-access-token',
  // The test push service on 127.0.0.1: exempt from the public-address rule on the emulator only.
  CALLWAKE_WEBPUSH_TEST_ORIGINS: `https://127.0.0.1:${FAKE_PORTS.webPush}`,
  CALLWAKE_WEBPUSH_CA_FILE: join(root, '.cache', 'test', 'webpush-ca.pem'),
  CALLWAKE_HMS_ORIGIN: `http://127.0.0.1:${FAKE_PORTS.hms}`,
  CALLWAKE_HMS_TOKEN_URL: `http://127.0.0.1:${FAKE_PORTS.hms}/oauth2/v3/token`,
});
