import assert from 'node:assert/strict';
import {
  DEADLINE_WAIT_MS,
  deadlineMoot,
  deadlineStep,
  deadlineTaskId,
} from '../../../../functions/core/call/deadline';

describe('the deadline task', () => {
  const expiresAt = 1_700_000_030_000;

  it('asks to come back when it arrives early (the emulator dispatches at once)', () => {
    assert.deepEqual(deadlineStep(expiresAt, expiresAt - 30_000), { kind: 'retry' });
    assert.deepEqual(deadlineStep(expiresAt, expiresAt - DEADLINE_WAIT_MS - 1), { kind: 'retry' });
  });

  it('comes back early only while the call rings: an ended or vanished call needs nothing', () => {
    assert.equal(deadlineMoot({ status: 'ringing' }), false);
    for (const status of ['accepted', 'declined', 'cancelled', 'missed', 'no_devices'] as const) {
      assert.equal(deadlineMoot({ status }), true, status);
    }
    assert.equal(deadlineMoot(null), true);
  });

  it('waits for the deadline when it is close', () => {
    assert.deepEqual(deadlineStep(expiresAt, expiresAt - DEADLINE_WAIT_MS), {
      kind: 'wait',
      ms: DEADLINE_WAIT_MS,
    });
    assert.deepEqual(deadlineStep(expiresAt, expiresAt - 1), { kind: 'wait', ms: 1 });
  });

  it('expires at and after the deadline (Cloud Tasks delivers at the schedule time or later)', () => {
    assert.deepEqual(deadlineStep(expiresAt, expiresAt), { kind: 'expire' });
    assert.deepEqual(deadlineStep(expiresAt, expiresAt + 60_000), { kind: 'expire' });
  });

  it('names one task per call, in the characters Cloud Tasks allows', () => {
    const id = deadlineTaskId('2f1c2a9e-3b4d-5e6f-8a9b-0c1d2e3f4a5b');
    assert.match(id, /^[A-Za-z0-9_-]{1,500}$/);
    assert.equal(id, deadlineTaskId('2f1c2a9e-3b4d-5e6f-8a9b-0c1d2e3f4a5b'));
  });
});
