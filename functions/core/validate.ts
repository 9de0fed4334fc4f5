import type { z } from 'zod';
import { AppError } from './errors';

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
    const missing =
      issue.code === 'invalid_type' && (issue.input === undefined || issue.input === null);
    details[field] ??= missing ? 'is required' : issue.message;
  }
  const message = Object.entries(details)
    .map(([field, text]) => `${field}: ${text}`)
    .join('; ');
  throw new AppError('invalid_argument', message, details);
}
