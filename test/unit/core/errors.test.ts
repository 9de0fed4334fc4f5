import assert from 'node:assert/strict';
import {
  AppError,
  busyError,
  ERROR_STATUS,
  slowError,
  toAppError,
  type ErrorCode,
} from '../../../functions/core/errors';

const UNAVAILABLE_MESSAGE = 'A backing service is unavailable; try again shortly.';

describe('AppError', () => {
  const expected: Record<ErrorCode, number> = {
    invalid_argument: 400,
    unsupported_provider: 400,
    unauthenticated: 401,
    permission_denied: 403,
    not_found: 404,
    method_not_allowed: 405,
    conflict: 409,
    limit_exceeded: 409,
    token_in_use: 409,
    payload_too_large: 413,
    unsupported_media_type: 415,
    rate_limited: 429,
    busy: 429,
    internal: 500,
    unavailable: 503,
  };

  it('has one HTTP status per code', () => {
    assert.deepEqual({ ...ERROR_STATUS }, expected);
    for (const [code, status] of Object.entries(expected) as [ErrorCode, number][]) {
      assert.equal(new AppError(code, 'x').status, status, code);
    }
  });

  it('is retryable only when unavailable, rate limited or busy', () => {
    const retryable = (Object.keys(expected) as ErrorCode[]).filter(
      (code) => new AppError(code, 'x').retryable,
    );
    assert.deepEqual(retryable.sort(), ['busy', 'rate_limited', 'unavailable']);
  });

  it('carries its code, message and details and is an Error', () => {
    const err = new AppError('invalid_argument', 'to: is required', { to: 'is required' });
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'AppError');
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.message, 'to: is required');
    assert.deepEqual(err.details, { to: 'is required' });
    assert.equal(new AppError('not_found', 'x').details, undefined);
  });
});

describe('the store budget errors', () => {
  it('say busy (429) with a one-second Retry-After, and why, in words a PBX admin reads', () => {
    for (const [err, why] of [
      [busyError(), 'Other requests are changing the same records right now'],
      [slowError(), 'The database is answering slowly under load right now'],
    ] as const) {
      assert.equal(err.code, 'busy');
      assert.equal(err.status, 429);
      assert.equal(err.retryAfter, 1);
      assert.equal(err.message, `${why}; try again in a second.`);
    }
  });
});

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
