import { AppError } from '../core/errors';

/** A failure the operator can act on: its message is the whole story, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    /** 1 for a failed command, 2 for a command line that could not be understood. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong: exit code 2, like other Unix tools. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** Where the CLI was working, to name it in errors. */
export interface Target {
  project: string;
  emulator: boolean;
}

const firstLine = (text: string) => text.split('\n', 1)[0] ?? '';

/** What a gRPC status from Firestore means for an operator. */
function firestoreError(code: number, message: string, target: Target): string | null {
  const where = target.emulator
    ? `the Firestore emulator (${process.env.FIRESTORE_EMULATOR_HOST ?? ''})`
    : `project ${target.project}'s Firestore`;
  switch (code) {
    case 4:
    case 14:
      return `${where} did not answer; check that it is reachable and try again.`;
    case 5:
      return `${where} was not found: does project ${target.project} exist and have a Firestore database?`;
    case 7:
      return `Permission denied by ${where}: your application default credentials need a role such as Cloud Datastore User on project ${target.project}.`;
    case 9: {
      // Firestore names the missing index and links to its creation page.
      const detail = message.replace(/^\d+ FAILED_PRECONDITION:\s*/, '');
      return `Firestore cannot run this query on project ${target.project} without an index: ${detail}`;
    }
    case 16:
      return `${where} refused the credentials: run \`gcloud auth application-default login\`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.`;
    default:
      return null;
  }
}

/**
 * One sentence for anything thrown. The stack is only printed with
 * CALLWAKE_DEBUG=1: operators get what to do, not where the code broke.
 */
export function describeError(err: unknown, target?: Target): string {
  if (err instanceof CliError || err instanceof AppError) return err.message;
  const { code, message = '' } = (err ?? {}) as { code?: unknown; message?: string };
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    // Node's wording suggests `--` tricks; say just what was wrong.
    return firstLine(message).replace(/\. To specify a positional argument.*$/, '.');
  }
  if (/default credentials/i.test(message)) {
    return 'No application default credentials were found: run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file.';
  }
  if (typeof code === 'number' && target) {
    const sentence = firestoreError(code, firstLine(message), target);
    if (sentence) return sentence;
  }
  return `Unexpected error: ${firstLine(message) || String(err)} (set CALLWAKE_DEBUG=1 for details).`;
}

/** Exit status for an error: 2 for usage, 1 otherwise. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? 2 : 1;
}
