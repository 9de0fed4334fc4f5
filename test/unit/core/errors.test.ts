import assert from 'node:assert/strict';
import {
  AppError,
  busyError,
  ERROR_STATUS,
  slowError,
  type ErrorCode,
} from '../../../functions/core/errors';

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
