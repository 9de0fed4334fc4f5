import assert from 'node:assert/strict';
import { applyPatch, mergeDeep } from '../../../../functions/core/call/patch';
import { ringingCall } from '../fixtures';

describe('mergeDeep (Firestore set-with-merge)', () => {
  it('merges maps key by key, and replaces everything else', () => {
    const target: Record<string, unknown> = { m: { a: 1, b: 2 }, list: [1, 2, 3], n: { x: 1 } };
    mergeDeep(target, { m: { b: 3, c: 4 }, list: [9], n: null });
    assert.deepEqual(target, { m: { a: 1, b: 3, c: 4 }, list: [9], n: null });
  });

  it('copies what it writes: a later change to the patch leaves the target alone', () => {
    const patch = { m: { list: [1] } };
    const target: Record<string, unknown> = {};
    mergeDeep(target, patch);
    patch.m.list.push(2);
    assert.deepEqual(target, { m: { list: [1] } });
  });
});

describe('applyPatch', () => {
  it('returns the call as the patch leaves it, and leaves the call given alone', () => {
    const call = ringingCall({
      cancel: { state: 'pending', reason: 'hangup', targets: ['a', 'b'] },
    });
    const next = applyPatch(call, { cancel: { targets: ['c'] }, status: 'cancelled' });
    assert.deepEqual(next.cancel?.targets, ['c']);
    assert.equal(next.status, 'cancelled');
    assert.deepEqual(call.cancel?.targets, ['a', 'b']);
    assert.deepEqual(applyPatch(call, null), call);
  });
});
