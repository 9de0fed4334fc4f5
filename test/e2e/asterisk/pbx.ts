/**
 * A real Asterisk for the e2e run: a private configuration under .cache/
 * (../shared/asterisk/README.md), PJSIP over UDP on 127.0.0.1, the repository's
 * integrations/asterisk/extensions_callwake.conf pulled in by `#include` with its
 * absolute path (never copied or patched), driven through `asterisk -rx`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { start, stop, type Child } from './processes';

const execFileAsync = promisify(execFile);

export interface PbxOptions {
  binary: string;
  dir: string;
  include: string;
  port: number;
  globals: Record<string, string>;
  /** Further files written into `dir` (the signing secret), by name. */
  files?: Record<string, string>;
}

export const HOST = '127.0.0.1';

/** The caller's endpoint (identified by the From user), and the phones' extensions. */
export const CALLER = '5551234';
export const PHONES = ['1001', '1002'];

const phone = (ext: string) => `
[${ext}]
type=endpoint
context=from-phone
disallow=all
allow=ulaw
direct_media=no
aors=${ext}

[${ext}]
type=aor
max_contacts=1
remove_existing=yes
`;

/** One route in README's form, with what this build has in place of VoiceMail. */
const route = (pattern: string, ext: string, ring: number) => `
exten => ${pattern},1,Gosub(callwake,s,1(${ext},${ring}))
 same => n,Verbose(0,CALLWAKE-E2E \${CHANNEL(pjsip,call-id)} retval=\${GOSUB_RETVAL} uniqueid=\${UNIQUEID})
 same => n,GotoIf($["\${GOSUB_RETVAL}" = "declined"]?busy)
 same => n,GotoIf($["\${GOSUB_RETVAL}" = "answered"]?done)
 same => n,Hangup(19)
 same => n(done),Hangup()
 same => n(busy),Busy(10)
`;

/**
 * The admin's side of the dialplan. 1XXX rings 30 s; 91XXX rings the same
 * extension for 5 s (the no-answer case). The outcome goes to the log for the
 * test to read, keyed by the SIP Call-ID.
 */
function extensions(options: PbxOptions): string {
  const globals = Object.entries(options.globals).map(([k, v]) => `${k}=${v}`);
  return `[globals]
${globals.join('\n')}

#include ${options.include}

[from-caller]
${route('_1XXX', '${EXTEN}', 30)}${route('_91XXX', '${EXTEN:1}', 5)}
[from-phone]
exten => _X.,1,Hangup(21)
`;
}

function configFiles(options: PbxOptions): Record<string, string> {
  const run = join(options.dir, 'run');
  return {
    // No "(!)" after [directories]: that would make it a template, silently ignored.
    // Module, data and sbin directories stay the binary's own defaults.
    'asterisk.conf': `[directories]
astetcdir => ${options.dir}
astvarlibdir => ${run}/lib
astdbdir => ${run}/db
astkeydir => ${run}/lib
astspooldir => ${run}/spool
astrundir => ${run}/run
astlogdir => ${run}/log
astcachedir => ${run}/cache

[options]
; As talkative as the secrecy check needs: verbose 5 (every dialplan step, expanded, and more),
; and debug 1 (the debug level the include is safe at; see its header).
verbose = 5
debug = 1
`,
    'modules.conf': '[modules]\nautoload = yes\n',
    'logger.conf':
      '[general]\ndateformat = %F %T.%3q\n[logfiles]\nmessages.log => notice,warning,error,verbose,debug\n',
    'rtp.conf': '[general]\nrtpstart = 21000\nrtpend = 21200\n',
    'pjsip.conf': `[global]
type=global
user_agent=callwake-e2e-asterisk

[transport-udp]
type=transport
protocol=udp
bind=${HOST}:${options.port}

[${CALLER}]
type=endpoint
context=from-caller
disallow=all
allow=ulaw
direct_media=no
${PHONES.map(phone).join('')}`,
    'extensions.conf': extensions(options),
  };
}

export class Pbx {
  private child: Child | undefined;

  constructor(private readonly options: PbxOptions) {}

  get log(): string {
    return join(this.options.dir, 'run', 'log', 'messages.log');
  }

  /** Everything Asterisk wrote: its log file, and its console (stdout and stderr). */
  everythingLogged(): string {
    const console = join(this.options.dir, 'asterisk.out.log');
    const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    return `${read(this.log)}\n${read(console)}\n${this.child?.output() ?? ''}`;
  }

  /** Writes the configuration and starts Asterisk in the foreground; resolves once fully booted. */
  async start(): Promise<void> {
    const { dir } = this.options;
    rmSync(dir, { recursive: true, force: true });
    for (const sub of ['lib', 'db', 'spool', 'run', 'log', 'cache']) {
      mkdirSync(join(dir, 'run', sub), { recursive: true });
    }
    for (const [name, text] of Object.entries(configFiles(this.options))) {
      writeFileSync(join(dir, name), text);
    }
    for (const [name, text] of Object.entries(this.options.files ?? {})) {
      writeFileSync(join(dir, name), text, { mode: 0o600 });
    }
    this.child = start('asterisk', this.options.binary, ['-C', this.conf, '-f', '-n'], {
      logFile: join(dir, 'asterisk.out.log'),
    });
    // The control socket appears a moment after start: retry until it answers.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.child.exited()) {
        throw new Error(`Asterisk exited at start:\n${this.child.output().slice(-2000)}`);
      }
      const booted = await this.cli('core waitfullybooted', 30_000).catch(() => undefined);
      if (booted?.includes('fully booted')) break;
      if (Date.now() > deadline) throw new Error('Asterisk did not finish booting in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const transports = await this.cli('pjsip show transports');
    if (!transports.includes(`${HOST}:${this.options.port}`)) {
      throw new Error(`PJSIP has no UDP transport on ${HOST}:${this.options.port}:\n${transports}`);
    }
  }

  private get conf(): string {
    return join(this.options.dir, 'asterisk.conf');
  }

  /** One CLI command through the control socket (`asterisk -rx`). */
  async cli(command: string, timeout = 15_000): Promise<string> {
    const { stdout } = await execFileAsync(this.options.binary, ['-C', this.conf, '-rx', command], {
      timeout,
    });
    return stdout;
  }

  async setGlobal(name: string, value: string): Promise<void> {
    await this.cli(`dialplan set global ${name} ${value}`);
  }

  /** The registered contacts of an AOR, as `PJSIP_DIAL_CONTACTS` would dial them. */
  async contacts(aor: string): Promise<string[]> {
    const out = await this.cli(`pjsip show aor ${aor}`);
    return [...out.matchAll(/^\s*Contact:\s+\S+\/(sip:\S+)/gm)].map((m) => m[1]!);
  }

  /** The `CALLWAKE-E2E <call-id> retval=… uniqueid=…` line the dialplan logged for a SIP call. */
  outcome(sipCallId: string): { retval: string; uniqueid: string } | undefined {
    if (!existsSync(this.log)) return undefined;
    const line = readFileSync(this.log, 'utf8')
      .split('\n')
      .find((l) => l.includes(`CALLWAKE-E2E ${sipCallId} `));
    const match = line && / retval=(\S*) uniqueid=([\d.]+)/.exec(line);
    return match ? { retval: match[1]!, uniqueid: match[2]! } : undefined;
  }

  /** Which of these dialplan functions this Asterisk does not have (`core show function`). */
  async missingFunctions(names: string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const name of names) {
      const shown = await this.cli(`core show function ${name}`);
      if (/no function by that name/i.test(shown) || !shown.includes(name)) missing.push(name);
    }
    return missing;
  }

  /** `core stop now`, then the process group, whatever state it is in. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await this.cli('core stop now', 5_000).catch(() => undefined);
    await Promise.race([child.done, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    stop(child, 'SIGKILL');
  }
}
