import type { z } from 'zod';
import { AppError } from '../core/errors';
import { validate } from '../core/validate';
import type { ApiRequest } from './types';

/** Largest request body accepted; PBX requests are a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Reads a form or JSON body into a flat record of fields. A POST with no
 * Content-Type is read as form data: Asterisk's CURL() may send none once
 * CURLOPT(httpheader) replaces its default headers.
 */
export function parseBody(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (body.length > MAX_BODY_BYTES) {
    throw new AppError('payload_too_large', `Request body is over ${MAX_BODY_BYTES} bytes.`);
  }
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === '' || type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      if (Object.hasOwn(fields, key))
        throw new AppError('invalid_argument', `Field ${key} is given more than once.`);
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
      throw new AppError('invalid_argument', 'Request body is not valid JSON.');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AppError('invalid_argument', 'Request body must be a JSON object.');
    }
    return parsed as Record<string, unknown>;
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
