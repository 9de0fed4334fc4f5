import { callCommands } from './calls';
import {
  GLOBAL_OPTIONS,
  paging,
  parseCommandLine,
  type CliContext,
  type Command,
  type OptionName,
  type Values,
} from './command';
import { EMULATOR_PROJECT } from '../config';
import { connect } from './context';
import { deviceCommands } from './devices';
import { describeError, exitCodeOf, UsageError, type Target } from './errors';
import { keyCommands } from './keys';
import { memberCommands } from './members';
import { operatorCommands } from './operators';
import { scrapeKeyCommands } from './scrapeKeys';
import { stdoutOutput } from './output';
import { pairingCommands } from './pairing';
import { pushCommands } from './pushes';
import { tenantCommands } from './tenants';
import { webPushCommands } from './webPush';

export const COMMANDS: Command[] = [
  ...tenantCommands,
  ...keyCommands,
  ...deviceCommands,
  ...callCommands,
  ...pushCommands,
  ...memberCommands,
  ...pairingCommands,
  ...operatorCommands,
  ...scrapeKeyCommands,
  ...webPushCommands,
];

const OPTION_HELP: Record<OptionName, [string, string]> = {
  project: [
    '--project <id>',
    'a real project, with application default credentials (default: the emulator)',
  ],
  json: ['--json', 'print JSON instead of text'],
  help: ['--help, -h', 'show help'],
  limit: ['--limit <n>', 'how many to list (1-500)'],
  after: ['--after <id>', 'list from after this id: the last one of the previous page'],
  extension: ['--extension <ext>', 'only this extension'],
  name: ['--name <name>', 'display name (default: the tenant id)'],
  'push-mode': [
    '--push-mode <mode>',
    'live, or outbox (pushes only stored in pushOutbox); default: PUSH_MODE',
  ],
  'no-qr': ['--no-qr', 'print the code and URI without the QR code'],
  'qr-file': ['--qr-file <file>', 'also write the QR code to a .png or .svg file'],
  role: ['--role <role>', 'viewer (sees calls, devices, health) or admin (also keys, test rings)'],
};

const optionLines = (names: OptionName[]) =>
  names.map((name) => `  ${OPTION_HELP[name][0].padEnd(20)}${OPTION_HELP[name][1]}`);

const usage = (c: Command) => `callwake ${c.name}${c.args.map((a) => ` <${a}>`).join('')}`;

function overview(): string[] {
  const width = Math.max(...COMMANDS.map((c) => usage(c).length));
  return [
    'callwake: the operator CLI of the callwake push gateway.',
    '',
    'Usage: callwake <command> [arguments] [options]',
    '',
    ...COMMANDS.map((c) => `  ${usage(c).padEnd(width)}  ${c.summary}`),
    '',
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'It works on the Firestore emulator (FIRESTORE_EMULATOR_HOST, default 127.0.0.1:8080) unless',
    '--project names a real project. `callwake <command> --help` describes one command.',
  ];
}

function commandHelp(c: Command): string[] {
  return [
    `Usage: ${usage(c)} [options]`,
    '',
    `${c.summary[0]?.toUpperCase() ?? ''}${c.summary.slice(1)}.`,
    '',
    'Options:',
    ...optionLines([...c.options, ...GLOBAL_OPTIONS]),
  ];
}

/** The command the positionals name, and its arguments; usage errors say what was expected. */
function resolve(positionals: string[]): { command: Command; rest: string[] } | null {
  const [noun, verb, ...rest] = positionals;
  if (noun === undefined) return null;
  const command = COMMANDS.find((c) => c.name === `${noun} ${verb ?? ''}`);
  if (command) return { command, rest };
  const verbs = COMMANDS.filter((c) => c.name.startsWith(`${noun} `)).map(
    (c) => c.name.split(' ')[1],
  );
  if (verbs.length === 0) {
    throw new UsageError(`Unknown command "${noun}". \`callwake --help\` lists the commands.`);
  }
  throw new UsageError(
    verb === undefined
      ? `\`callwake ${noun}\` needs one of: ${verbs.join(', ')}.`
      : `Unknown command "${noun} ${verb}"; \`callwake ${noun}\` takes ${verbs.join(', ')}.`,
  );
}

function checkOptions(command: Command, values: Values): void {
  const allowed = new Set<string>([...command.options, ...GLOBAL_OPTIONS]);
  const wrong = Object.keys(values).find((name) => !allowed.has(name));
  if (wrong) {
    throw new UsageError(`\`callwake ${command.name}\` takes no --${wrong} option.`);
  }
}

function bindArgs(command: Command, rest: string[]): Record<string, string> {
  if (rest.length !== command.args.length) {
    const wanted =
      command.args.length === 0 ? 'no arguments' : command.args.map((a) => `<${a}>`).join(' ');
    throw new UsageError(
      `${rest.length < command.args.length ? 'Missing arguments' : 'Too many arguments'}: \`${usage(command)}\` takes ${wanted}.`,
    );
  }
  return Object.fromEntries(command.args.map((name, i) => [name, rest[i] ?? '']));
}

/** Runs the CLI; resolves with the exit status. Errors are one sentence on stderr. */
export async function main(argv: string[]): Promise<number> {
  let target: Target | undefined;
  let ctx: CliContext | undefined;
  try {
    const { values, positionals } = parseCommandLine(argv);
    const found = values.help && positionals.length < 2 ? null : resolve(positionals);
    if (!found) {
      stdoutOutput(false).lines(overview());
      return values.help ? 0 : 2;
    }
    const { command, rest } = found;
    if (values.help) {
      stdoutOutput(false).lines(commandHelp(command));
      return 0;
    }
    checkOptions(command, values);
    const args = bindArgs(command, rest);
    // A wrong --limit is a usage error even before anything is read.
    if (command.options.includes('limit')) paging(values, 1);
    const project = values.project ?? EMULATOR_PROJECT;
    target = { project, emulator: project.startsWith('demo-') };
    ctx = await connect(values.project);
    target = ctx;
    await command.run({ command, args, values, ctx, out: stdoutOutput(values.json === true) });
    return 0;
  } catch (err) {
    process.stderr.write(`callwake: ${describeError(err, target)}\n`);
    if (process.env.CALLWAKE_DEBUG === '1' && err instanceof Error) {
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    return exitCodeOf(err);
  } finally {
    await ctx?.db.terminate().catch(() => undefined);
  }
}
