import { callStoreContract } from '../../contract/callStore.contract';
import { deviceStoreContract } from '../../contract/deviceStore.contract';
import { FakeCallStore } from '../../support/fakeCallStore';
import { FakeDeviceStore } from '../../support/fakeDeviceStore';

// The in-memory doubles, held to the contract FirestoreCallStore / FirestoreDeviceStore pass on
// the emulator (test/integration/storeContract.test.ts).
callStoreContract('in memory', () => new FakeCallStore());
deviceStoreContract('in memory', () => new FakeDeviceStore());
