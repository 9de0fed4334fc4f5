import type { z } from 'zod';
import { AppError } from './errors';

/** The input's value at a zod issue path (zod 4 leaves `issue.input` unset by default). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  // zod reports an issue where a value first goes wrong, so every step but the last is an
  // object; `?.` still keeps a null or a primitive from throwing.
  return path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | null | undefined)?.[key],
    input,
  );
}

/**
 * Parses `input` with `schema`, or throws `invalid_argument` naming every bad
 * field in one sentence a PBX admin can act on (`to: is required; ...`).
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join('.') || 'body';
    // Missing fields report zod's generic text; say it plainly instead.
    const missing = issue.code !== 'custom' && valueAt(input, issue.path) == null;
    details[field] ??= missing ? 'is required' : issue.message;
  }
  const message = Object.entries(details)
    .map(([field, text]) => `${field}: ${text}`)
    .join('; ');
  throw new AppError('invalid_argument', message, details);
}
