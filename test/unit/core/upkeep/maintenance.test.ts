import assert from 'node:assert/strict';
import {
  DAY_MS,
  expireRingingCalls,
  retentionCutoffs,
  type ExpiryDeps,
} from '../../../../functions/core/upkeep/maintenance';
import type { Call } from '../../../../functions/core/model';
import { FakeCallStore } from '../../../support/fakes';
import { NOW, ringingCall } from '../fixtures';

describe('expireRingingCalls', () => {
  const now = NOW + 60_000;
  let calls: FakeCallStore;
  let asked: number[];

  /** Stores the calls; the deadline query returns `listed` (all of them by default). */
  async function deps(stored: Call[], listed = stored.map((c) => c.callUuid)): Promise<ExpiryDeps> {
    for (const call of stored) await calls.createOnce(call);
    return {
      calls,
      ringingPastDeadline: (at) => {
        asked.push(at);
        return Promise.resolve(listed.map((callUuid) => ({ tenant: 'acme', callUuid })));
      },
    };
  }

  const status = async (call: Call) => (await calls.get(call.tenant, call.callUuid))?.status;

  beforeEach(() => {
    calls = new FakeCallStore();
    asked = [];
  });

  it('makes every overdue ringing call missed (timeout) and counts them', async () => {
    const overdue = ringingCall({ callId: 'overdue', expiresAt: now - 1 });
    const dueNow = ringingCall({ callId: 'due-now', expiresAt: now });
    const expired = await expireRingingCalls(await deps([overdue, dueNow]), now);
    assert.equal(expired, 2);
    assert.deepEqual(asked, [now]);
    const stored = await calls.get('acme', overdue.callUuid);
    assert.equal(stored?.status, 'missed');
    assert.equal(stored.endReason, 'timeout');
    assert.equal(stored.endedAt, overdue.expiresAt);
    assert.deepEqual(stored.cancel, { state: 'pending', reason: 'timeout', targets: [] });
    assert.equal(await status(dueNow), 'missed');
  });

  it('leaves calls still within their ring time and calls that ended meanwhile', async () => {
    const overdue = ringingCall({ callId: 'overdue', expiresAt: now - 1 });
    const early = ringingCall({ callId: 'early', expiresAt: now + 1 });
    const answered = ringingCall({ callId: 'answered', status: 'accepted', expiresAt: now - 1 });
    const cancelled = ringingCall({ callId: 'cancelled', status: 'cancelled', expiresAt: 0 });
    const all = [overdue, early, answered, cancelled];
    assert.equal(await expireRingingCalls(await deps(all), now), 1);
    assert.equal(await status(overdue), 'missed');
    assert.equal(await status(early), 'ringing');
    assert.equal(await status(answered), 'accepted');
    assert.equal(await status(cancelled), 'cancelled');
  });

  it('does not count a listed call that no longer exists', async () => {
    const overdue = ringingCall({ callId: 'overdue', expiresAt: now - 1 });
    const listed = [overdue.callUuid, 'deleted-call'];
    assert.equal(await expireRingingCalls(await deps([overdue], listed), now), 1);
  });

  it('expires a call only once when run again', async () => {
    const overdue = ringingCall({ callId: 'overdue', expiresAt: now - 1 });
    const d = await deps([overdue]);
    assert.equal(await expireRingingCalls(d, now), 1);
    assert.equal(await expireRingingCalls(d, now + 60_000), 0);
    assert.equal((await calls.get('acme', overdue.callUuid))?.endedAt, overdue.expiresAt);
  });

  it('returns 0 when nothing is due', async () => {
    assert.equal(await expireRingingCalls(await deps([]), now), 0);
  });
});

describe('retentionCutoffs', () => {
  it('counts whole days back from now', () => {
    assert.equal(DAY_MS, 86_400_000);
    assert.deepEqual(retentionCutoffs(NOW, 90, 30), {
      devicesBefore: NOW - 90 * 86_400_000,
      callsBefore: NOW - 30 * 86_400_000,
    });
    assert.deepEqual(retentionCutoffs(NOW, 0, 0), { devicesBefore: NOW, callsBefore: NOW });
  });
});
