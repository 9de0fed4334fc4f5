import type { z } from 'zod';
import { AppError } from '../core/errors';
import { validate } from '../core/validate';
import type { ApiRequest } from './types';

/** Largest request body accepted; PBX requests are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * A JSON object's fields read as a form's would be, so both formats follow one rule: a number
 * or a boolean is its text (`"to": 1001` is `to=1001`; `"ring_timeout": "10"` is
 * `ring_timeout=10`, and the schema reads the number), null is absent, and an object or a list
 * is refused, naming the field.
 */
function asFields(object: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  const nested: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') fields[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') fields[key] = String(value);
    else nested.push(key);
  }
  if (nested.length > 0) {
    const text = 'must be a single value (text or a number), not an object or a list';
    throw new AppError(
      'invalid_argument',
      nested.map((key) => `${key}: ${text}`).join('; '),
      Object.fromEntries(nested.map((key) => [key, text])),
    );
  }
  return fields;
}

/**
 * Reads a form or JSON body into a flat record of fields. A POST with no
 * Content-Type is read as form data: Asterisk's CURL() may send none once
 * CURLOPT(httpheader) replaces its default headers.
 */
export function parseBody(body: Buffer, contentType: string | undefined): Record<string, string> {
  if (body.length > MAX_BODY_BYTES) {
    throw new AppError('payload_too_large', `Request body is over ${MAX_BODY_BYTES} bytes.`);
  }
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === '' || type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      if (Object.hasOwn(fields, key))
        throw new AppError('invalid_argument', `${key}: is given more than once; send it once.`, {
          [key]: 'is given more than once',
        });
      fields[key] = value;
    }
    return fields;
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AppError(
        'invalid_argument',
        'body: is not valid JSON; send one JSON object, e.g. {"call_id": "1700000000.1", "to": "1001"}.',
        { body: 'is not valid JSON' },
      );
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AppError(
        'invalid_argument',
        'body: must be one JSON object of fields, e.g. {"call_id": "1700000000.1", "to": "1001"}.',
        { body: 'must be a JSON object' },
      );
    }
    return asFields(parsed as Record<string, unknown>);
  }
  throw new AppError(
    'unsupported_media_type',
    `Content-Type ${type} is not supported; send application/x-www-form-urlencoded or application/json.`,
  );
}

/** The request's form or JSON body, checked against `schema` (400 naming each bad field). */
export function validBody<T extends z.ZodType>(
  schema: T,
  req: Pick<ApiRequest, 'body' | 'headers'>,
): z.output<T> {
  return validate(schema, parseBody(req.body, req.headers['content-type']));
}
