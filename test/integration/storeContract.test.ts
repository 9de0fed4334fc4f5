import { FirestoreCallStore } from '../../functions/store/callStore';
import { FirestoreDeviceStore } from '../../functions/store/deviceStore';
import { FirestoreMemberStore } from '../../functions/store/memberStore';
import { FirestorePairingStore } from '../../functions/store/pairingStore';
import { FirestoreRateLimiter } from '../../functions/store/rateLimiter';
import { callStoreContract } from '../contract/callStore.contract';
import { deviceStoreContract } from '../contract/deviceStore.contract';
import { memberStoreContract } from '../contract/memberStore.contract';
import { pairingStoreContract } from '../contract/pairingStore.contract';
import { rateLimiterContract } from '../contract/rateLimiter.contract';
import { randomBytes } from 'node:crypto';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { PROJECT_ID, requireEmulators } from '../support/emulator';
import { SUITE_TIMEOUT_MS } from '../support/wait';

// The Firestore stores on the emulator, held to the contract the in-memory doubles pass in
// the unit tests (test/unit/store/contract.test.ts).
describe('store contracts (Firestore emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);
  // A client of its own: the shared one's listeners may still be reconnecting after the
  // resilience suite restarted the emulator.
  const db = () => {
    requireEmulators();
    const app = initializeApp(
      { projectId: PROJECT_ID },
      `contract-${randomBytes(4).toString('hex')}`,
    );
    return getFirestore(app);
  };
  const client = db();
  callStoreContract('Firestore', () => new FirestoreCallStore(client, () => 30));
  deviceStoreContract('Firestore', () => new FirestoreDeviceStore(client));
  memberStoreContract('Firestore', () => ({
    members: new FirestoreMemberStore(client),
    devices: new FirestoreDeviceStore(client),
  }));
  pairingStoreContract('Firestore', () => new FirestorePairingStore(client));
  rateLimiterContract('Firestore', () => new FirestoreRateLimiter(client));
});
