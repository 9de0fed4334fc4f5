import assert from 'node:assert/strict';
import { AppError, type ErrorCode } from '../../../functions/core/errors';
import { MAX_BODY_BYTES, parseBody } from '../../../functions/http/body';

const buf = (text: string) => Buffer.from(text, 'utf8');

function rejects(
  body: Buffer,
  contentType: string | undefined,
  code: ErrorCode,
  message: string,
): void {
  assert.throws(
    () => parseBody(body, contentType),
    (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, code);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe('parseBody', () => {
  describe('forms', () => {
    it('reads application/x-www-form-urlencoded, decoding + and %XX', () => {
      const fields = parseBody(
        buf('call_id=1700000000.42&to=100&from_name=Zo%C3%AB+Ang&from=%2B3225550100'),
        'application/x-www-form-urlencoded; charset=utf-8',
      );
      assert.deepEqual(fields, {
        call_id: '1700000000.42',
        to: '100',
        from_name: 'Zoë Ang',
        from: '+3225550100',
      });
    });

    it('reads a body without Content-Type as a form, as Asterisk CURL() may send it', () => {
      assert.deepEqual(parseBody(buf('to=100&ring_timeout='), undefined), {
        to: '100',
        ring_timeout: '',
      });
      assert.deepEqual(parseBody(buf('to=100'), ''), { to: '100' });
    });

    it('matches the media type case-insensitively', () => {
      assert.deepEqual(parseBody(buf('a=1'), 'Application/X-WWW-Form-URLencoded'), { a: '1' });
    });

    it('reads an empty form as no fields', () => {
      assert.deepEqual(parseBody(Buffer.alloc(0), undefined), {});
    });

    it('rejects a field given twice', () => {
      rejects(
        buf('to=100&to=200'),
        undefined,
        'invalid_argument',
        'to: is given more than once; send it once.',
      );
    });

    it('accepts once-given fields whose names are Object.prototype members', () => {
      // An unknown field is ignored by the schemas, so this must not be a 400.
      assert.deepEqual(parseBody(buf('to=100&constructor=x&toString=y'), undefined), {
        to: '100',
        constructor: 'x',
        toString: 'y',
      });
    });
  });

  describe('JSON', () => {
    it('reads a JSON object as a form would be: numbers and booleans as their text, null as absent', () => {
      assert.deepEqual(
        parseBody(
          buf('{"call_id":"c1","to":1001,"ring_timeout":45,"flag":true,"from":null}'),
          'application/json; charset=utf-8',
        ),
        { call_id: 'c1', to: '1001', ring_timeout: '45', flag: 'true' },
      );
    });

    it('refuses a field holding an object or a list, naming it', () => {
      rejects(
        buf('{"to":{"ext":1},"from":[1]}'),
        'application/json',
        'invalid_argument',
        'to: must be a single value (text or a number), not an object or a list; from: must be a single value (text or a number), not an object or a list',
      );
    });

    it('reads +json media types', () => {
      assert.deepEqual(parseBody(buf('{"a":1}'), 'application/merge-patch+json'), { a: '1' });
    });

    it('reads an empty JSON body as no fields', () => {
      assert.deepEqual(parseBody(buf('  \n'), 'application/json'), {});
    });

    it('rejects invalid JSON with 400', () => {
      rejects(
        buf('{"to":'),
        'application/json',
        'invalid_argument',
        'body: is not valid JSON; send one JSON object, e.g. {"call_id": "1700000000.1", "to": "1001"}.',
      );
    });

    it('rejects JSON that is not an object with 400', () => {
      for (const text of ['[1,2]', '"to=100"', '42', 'null', 'true']) {
        rejects(
          buf(text),
          'application/json',
          'invalid_argument',
          'body: must be one JSON object of fields, e.g. {"call_id": "1700000000.1", "to": "1001"}.',
        );
      }
    });
  });

  it(`accepts exactly ${MAX_BODY_BYTES} bytes and rejects one more with 413`, () => {
    assert.equal(MAX_BODY_BYTES, 65_536);
    const fill = (n: number) => buf(`a=${'x'.repeat(n - 2)}`);
    assert.equal(
      parseBody(fill(MAX_BODY_BYTES), undefined).a?.toString().length,
      MAX_BODY_BYTES - 2,
    );
    rejects(
      fill(MAX_BODY_BYTES + 1),
      undefined,
      'payload_too_large',
      'Request body is over 65536 bytes.',
    );
    assert.equal(new AppError('payload_too_large', '').status, 413);
  });

  it('checks the size before the media type', () => {
    rejects(
      Buffer.alloc(MAX_BODY_BYTES + 1),
      'text/plain',
      'payload_too_large',
      'Request body is over 65536 bytes.',
    );
  });

  it('rejects other media types with 415', () => {
    rejects(
      buf('to=100'),
      'text/plain; charset=utf-8',
      'unsupported_media_type',
      'Content-Type text/plain is not supported; send application/x-www-form-urlencoded or application/json.',
    );
    rejects(
      buf('<x/>'),
      'application/xml',
      'unsupported_media_type',
      'Content-Type application/xml is not supported; send application/x-www-form-urlencoded or application/json.',
    );
  });
});
