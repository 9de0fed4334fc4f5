import assert from 'node:assert/strict';
import { toAppError } from '../../functions/backingErrors';
import { AppError } from '../../functions/core/errors';

const UNAVAILABLE_MESSAGE = 'A backing service is unavailable; try again shortly.';

describe('toAppError', () => {
  it('returns an AppError unchanged', () => {
    const err = new AppError('conflict', 'already answered');
    assert.equal(toAppError(err), err);
  });

  it('maps gRPC ABORTED (10, a transaction that lost to contention) to busy (429)', () => {
    const err = toAppError(
      Object.assign(new Error('10 ABORTED: Too much contention'), { code: 10 }),
    );
    assert.equal(err.code, 'busy');
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 1);
  });

  for (const code of [4, 8, 14]) {
    it(`maps gRPC code ${code} to unavailable (503)`, () => {
      const err = toAppError(Object.assign(new Error('14 UNAVAILABLE: No connection'), { code }));
      assert.equal(err.code, 'unavailable');
      assert.equal(err.status, 503);
      assert.equal(err.message, UNAVAILABLE_MESSAGE);
      assert.ok(err.retryable);
    });
  }

  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']) {
    it(`maps ${code} to unavailable (503)`, () => {
      const err = toAppError(Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code }));
      assert.equal(err.code, 'unavailable');
      assert.equal(err.message, UNAVAILABLE_MESSAGE);
    });
  }

  it('maps a plain object with a gRPC code, as Firestore may reject with', () => {
    assert.equal(toAppError({ code: 14 }).code, 'unavailable');
  });

  it('maps other gRPC codes and error codes to internal', () => {
    for (const code of [0, 3, 5, 7, 9, 13, 16, '14', 'ENOTFOUND', 'ECONNREFUSEDX', 'XECONNRESET']) {
      assert.equal(toAppError({ code }).code, 'internal', String(code));
    }
  });

  it('turns anything unknown into internal (500) without leaking its message', () => {
    const thrown: unknown[] = [
      new Error('password=hunter2 at db.internal:5432'),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'a string',
      undefined,
      null,
      42,
      { message: 'secret' },
    ];
    for (const value of thrown) {
      const err = toAppError(value);
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'internal');
      assert.equal(err.status, 500);
      assert.equal(err.message, 'Internal error.');
      assert.equal(err.details, undefined);
      assert.equal(err.retryable, false);
    }
  });
});
