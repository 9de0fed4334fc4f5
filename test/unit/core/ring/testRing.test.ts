import assert from 'node:assert/strict';
import { callUuid } from '../../../../functions/core/call/callUuid';
import type { IncomingCallDeps } from '../../../../functions/core/ring/incomingCall';
import {
  onlyDevice,
  ringOneDevice,
  TEST_CALLER,
  testCallId,
} from '../../../../functions/core/ring/testRing';
import { FakeCallStore, FakeDeviceStore, FakeSender, UNUSED_SENDER } from '../../../support/fakes';
import { androidDevice, iosVoipDevice } from '../fixtures';
import { ringPorts } from '../ringDeps';

const TENANT = 'acme';

describe('a test call to one device', () => {
  let calls: FakeCallStore;
  let devices: FakeDeviceStore;
  let fcm: FakeSender;
  let deps: IncomingCallDeps;

  beforeEach(() => {
    ({ calls, devices, fcm, deps } = ringPorts());
    // The devices of this test are Android ones: nothing goes to APNs.
    deps.senders.apns = UNUSED_SENDER;
  });

  it('rings that device alone, not the others of its extension, as a call from callwake', async () => {
    const chosen = androidDevice({ deviceId: 'chosen', fcmToken: 'chosen-token' });
    devices.put(TENANT, chosen);
    devices.put(TENANT, androidDevice({ deviceId: 'other', fcmToken: 'other-token' }));

    const answer = await ringOneDevice(TENANT, chosen, 'test-1', deps);

    assert.equal(answer.status, 'ringing');
    assert.equal(answer.devices, 1);
    assert.equal(answer.pushed, 1);
    assert.deepEqual(
      fcm.sent.map((s) => s.push.token),
      ['chosen-token'],
    );
    const data = (fcm.sent[0]!.push.body as { message: { data: Record<string, string> } }).message
      .data;
    assert.equal(data.call_id, 'test-1');
    assert.equal(data.caller_number, TEST_CALLER.from);
    assert.equal(data.caller_name, TEST_CALLER.from_name);
    const call = await calls.get(TENANT, callUuid(TENANT, 'test-1'));
    assert.deepEqual(Object.keys(call?.deliveries ?? {}), ['chosen']);
    assert.equal(call?.extension, chosen.extension);
  });

  it('refuses a call id the ring path would refuse, before anything is pushed', async () => {
    const chosen = androidDevice();
    await assert.rejects(async () => ringOneDevice(TENANT, chosen, '', deps), /call_id/);
    assert.equal(fcm.sent.length, 0);
  });

  it("narrows only the reads that choose whom to ring: every write reaches the tenant's store", async () => {
    const chosen = androidDevice({ deviceId: 'chosen', fcmToken: 'chosen-token' });
    const other = androidDevice({ deviceId: 'other', fcmToken: 'other-token' });
    devices.put(TENANT, chosen);
    devices.put(TENANT, other);
    const narrowed = onlyDevice(devices, chosen);

    assert.deepEqual(await narrowed.listByExtension(TENANT, chosen.extension), [chosen]);
    assert.equal((await narrowed.get(TENANT, 'other'))?.deviceId, 'other');
    assert.deepEqual(
      (await narrowed.getMany(TENANT, ['chosen', 'other'])).map((d) => d.deviceId).sort(),
      ['chosen', 'other'],
    );
    await narrowed.dropToken(TENANT, 'other', 'other-token');
    assert.equal((await devices.get(TENANT, 'other'))?.fcmToken, undefined);
    const iphone = iosVoipDevice({ deviceId: 'iphone' });
    await narrowed.upsert(TENANT, iphone);
    assert.equal((await devices.get(TENANT, 'iphone'))?.deviceId, 'iphone');
    await narrowed.setApnsEnv(TENANT, 'iphone', iphone.voipToken!, 'sandbox');
    assert.deepEqual(devices.envChanges, [{ tenant: TENANT, deviceId: 'iphone', env: 'sandbox' }]);
    await narrowed.remove(TENANT, chosen.extension, 'chosen');
    assert.equal(await devices.get(TENANT, 'chosen'), null);
  });

  it('names each test call apart, and as a test', () => {
    const a = testCallId(1_700_000_000_000);
    const b = testCallId(1_700_000_000_000);
    assert.match(a, /^test-1700000000000-[0-9a-f]{6}$/);
    assert.notEqual(a, b);
  });
});
