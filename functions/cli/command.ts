import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { AppError } from '../core/errors';
import { validate } from '../core/validate';
import type { Firestore } from '../store/firestore';
import type { Paging } from '../store/paging';
import { UsageError, type Target } from './errors';

/** Every option of every command; each command lists the ones it takes. */
export const OPTIONS = {
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  limit: { type: 'string' },
  after: { type: 'string' },
  extension: { type: 'string', short: 'e' },
  name: { type: 'string' },
  'push-mode': { type: 'string' },
  'no-qr': { type: 'boolean' },
  'qr-file': { type: 'string' },
  role: { type: 'string' },
} as const;

export type OptionName = keyof typeof OPTIONS;
/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionName[] = ['project', 'json', 'help'];

export const parseCommandLine = (argv: string[]) =>
  parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });

export type Values = ReturnType<typeof parseCommandLine>['values'];

export interface CliContext extends Target {
  db: Firestore;
}

/** What a command prints: human lines, or one JSON document with --json. */
export interface Output {
  json: boolean;
  lines(lines: string[]): void;
  data(value: unknown): void;
}

export interface Invocation {
  command: Command;
  /** Positional arguments by name. */
  args: Record<string, string>;
  values: Values;
  ctx: CliContext;
  out: Output;
}

export interface Command {
  /** Two words: a noun and a verb, e.g. `devices list`. */
  name: string;
  /** Positional argument names, in order, e.g. ['tenant', 'device-id']. */
  args: string[];
  options: OptionName[];
  summary: string;
  run(inv: Invocation): Promise<void>;
}

/** Prints JSON with --json, otherwise the human lines. */
export function emit(inv: Invocation, json: () => unknown, human: () => string[]): void {
  if (inv.out.json) inv.out.data(json());
  else inv.out.lines(human());
}

/** Validates an operator's input with the API's own schemas, naming the argument. */
export function checked<T extends z.ZodType>(schema: T, name: string, value: string): z.output<T> {
  try {
    return validate(schema, value);
  } catch (err) {
    if (err instanceof AppError) {
      throw new UsageError(`${name} ${err.message.replace(/^body: /, '')}: "${value}".`);
    }
    throw err;
  }
}

export const MAX_LIMIT = 500;

/** --limit (1 to 500, `fallback` when absent) and --after. */
export function paging(values: Values, fallback: number): Paging {
  let limit = fallback;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}.`);
    }
  }
  return { limit, ...(values.after ? { after: values.after } : {}) };
}

const shellWord = (word: string) => (/^[\w.:@/=-]+$/.test(word) ? word : `'${word}'`);

/** The command line that shows the next page, ready to paste. */
export function nextPageHint(inv: Invocation, next: string): string {
  const words = ['callwake', ...inv.command.name.split(' '), ...Object.values(inv.args)];
  for (const name of inv.command.options) {
    const value = inv.values[name];
    if (name === 'after' || value === undefined || value === false) continue;
    words.push(`--${name}`, ...(value === true ? [] : [value]));
  }
  if (inv.values.project) words.push('--project', inv.values.project);
  words.push('--after', next);
  return `More: ${words.map(shellWord).join(' ')}`;
}
