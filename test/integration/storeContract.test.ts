import { FirestoreCallStore } from '../../functions/store/callStore';
import { FirestoreDeviceStore } from '../../functions/store/deviceStore';
import { callStoreContract } from '../contract/callStore.contract';
import { deviceStoreContract } from '../contract/deviceStore.contract';
import { db } from '../support/emulator';

// The Firestore stores on the emulator, held to the contract the in-memory doubles pass in
// the unit tests (test/unit/store/contract.test.ts).
describe('store contracts (Firestore emulator)', function () {
  this.timeout(30_000);
  callStoreContract('Firestore', () => new FirestoreCallStore(db(), () => 30));
  deviceStoreContract('Firestore', () => new FirestoreDeviceStore(db()));
});
