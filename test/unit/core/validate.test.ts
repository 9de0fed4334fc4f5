import assert from 'node:assert/strict';
import { z } from 'zod';
import { AppError } from '../../../functions/core/errors';
import { deviceRegistrationSchema, incomingCallSchema } from '../../../functions/core/schemas';
import { validate } from '../../../functions/core/validate';

/** The AppError `validate` throws for `input`. */
function failure(schema: z.ZodType, input: unknown): AppError {
  try {
    validate(schema, input);
  } catch (err) {
    assert.ok(err instanceof AppError, 'validate must throw an AppError');
    return err;
  }
  assert.fail('expected validate to throw');
}

describe('validate', () => {
  it('returns the parsed value, defaults and transforms applied', () => {
    assert.deepEqual(
      validate(incomingCallSchema, { call_id: 'c1', to: '100', from_name: ' Bob ' }),
      {
        call_id: 'c1',
        to: '100',
        from_name: 'Bob',
        ring_timeout: 30,
      },
    );
  });

  it('names every bad field in one `field: message; field2: message` sentence', () => {
    const err = failure(incomingCallSchema, { to: '', ring_timeout: '200' });
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.status, 400);
    assert.equal(
      err.message,
      'call_id: is required; to: must be 1-64 characters of A-Z a-z 0-9 _ . + * # -; ' +
        'ring_timeout: must be at most 120 seconds',
    );
    assert.deepEqual(err.details, {
      call_id: 'is required',
      to: 'must be 1-64 characters of A-Z a-z 0-9 _ . + * # -',
      ring_timeout: 'must be at most 120 seconds',
    });
  });

  it('says "is required" for missing fields instead of zod\'s type message', () => {
    const err = failure(incomingCallSchema, {});
    assert.equal(err.message, 'call_id: is required; to: is required');
    assert.deepEqual(err.details, { call_id: 'is required', to: 'is required' });
  });

  it('keeps the first message per field', () => {
    const err = failure(deviceRegistrationSchema, {
      platform: 'android',
      voip_token: 'ab'.repeat(32),
    });
    assert.deepEqual(err.details, {
      voip_token: 'is only for ios devices',
      app_id: 'is required with voip_token (the iOS bundle id names the APNs topic)',
    });
  });

  it('reports a fractional ring timeout as such, not as missing', () => {
    const err = failure(incomingCallSchema, { call_id: 'c1', to: '100', ring_timeout: '30.5' });
    assert.equal(err.message, 'ring_timeout: must be a whole number of seconds');
  });

  it('reports a non-numeric ring timeout as such, not as missing', () => {
    const err = failure(incomingCallSchema, { call_id: 'c1', to: '100', ring_timeout: 'soon' });
    assert.equal(err.message, 'ring_timeout: must be a number of seconds');
  });

  it('reports a field of the wrong JSON type as present but wrong, not as missing', () => {
    const err = failure(incomingCallSchema, { call_id: 12345, to: '100' });
    assert.notEqual(err.details?.call_id, 'is required');
    assert.match(err.message, /^call_id: /);
  });

  it('uses "body" for a problem with the input as a whole', () => {
    assert.equal(failure(incomingCallSchema, undefined).message, 'body: is required');
  });

  it("words zod's own issues in the API's voice where a schema gives no message", () => {
    const schema = z.object({
      kind: z.enum(['a', 'b']),
      name: z.string().min(2),
      code: z.string().max(3),
      tags: z.array(z.string()).min(1),
      few: z.array(z.string()).max(1),
      n: z.number().min(5),
      mail: z.email(),
      odd: z.number().refine((x) => x % 2 === 1),
      t: z.string(),
      b: z.boolean(),
      num: z.number(),
      whole: z.int(),
    });
    const input = {
      kind: 'c',
      name: 'x',
      code: 'abcd',
      tags: [],
      few: ['1', '2'],
      n: 1,
      mail: 'nope',
      odd: 2,
      t: 5,
      b: 'yes',
      num: 'x',
      whole: 'y',
    };
    assert.deepEqual(failure(schema, input).details, {
      kind: 'must be one of a, b',
      name: 'must be at least 2 characters',
      code: 'must be at most 3 characters',
      tags: 'must be at least 1 items',
      few: 'must be at most 1 items',
      n: 'must be at least 5',
      mail: 'must be a valid email',
      odd: 'is not valid',
      t: 'must be text',
      b: 'must be boolean',
      num: 'must be a number',
      whole: 'must be a number',
    });
  });

  it('names a nested field by its dotted path', () => {
    const schema = z.object({ a: z.object({ b: z.string({ error: 'must be text' }) }) });
    assert.equal(failure(schema, { a: { b: 1 } }).message, 'a.b: must be text');
    assert.equal(failure(schema, { a: {} }).message, 'a.b: is required');
  });
});
