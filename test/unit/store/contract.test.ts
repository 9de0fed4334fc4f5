import { callStoreContract } from '../../contract/callStore.contract';
import { deviceStoreContract } from '../../contract/deviceStore.contract';
import { memberStoreContract } from '../../contract/memberStore.contract';
import { pairingStoreContract } from '../../contract/pairingStore.contract';
import { rateLimiterContract } from '../../contract/rateLimiter.contract';
import { FakeCallStore } from '../../support/fakeCallStore';
import { FakeDeviceStore } from '../../support/fakeDeviceStore';
import { FakeMemberStore, FakePairingStore, FakeRateLimiter } from '../../support/fakes';

// The in-memory doubles, held to the contracts the Firestore stores pass on the emulator
// (test/integration/storeContract.test.ts).
callStoreContract('in memory', () => new FakeCallStore());
deviceStoreContract('in memory', () => new FakeDeviceStore());
memberStoreContract('in memory', () => {
  const devices: FakeDeviceStore = new FakeDeviceStore((tenant, ext, uid) =>
    members.has(tenant, ext, uid),
  );
  const members = new FakeMemberStore(devices);
  return { members, devices };
});
pairingStoreContract('in memory', () => new FakePairingStore());
rateLimiterContract('in memory', () => new FakeRateLimiter());
