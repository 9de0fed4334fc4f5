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

type Issue = Parameters<z.core.$ZodErrorMap>[0];

const unit = (origin: unknown) =>
  origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';

/**
 * zod's messages where a schema gives none, in the API's voice: what is allowed, not what the
 * library saw (`must be one of android, ios`, not `Invalid option: expected one of ...`).
 */
function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'int'
        ? 'must be a number'
        : issue.expected === 'string'
          ? 'must be text'
          : `must be ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${unit(issue.origin)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${unit(issue.origin)}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    default:
      return 'is not valid';
  }
}

/**
 * Parses `input` with `schema`, or throws `invalid_argument` naming every bad
 * field in one sentence a PBX admin can act on (`to: is required; ...`).
 */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input, { error: plainMessage });
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
