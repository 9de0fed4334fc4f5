/**
 * Debian's linphonec as an RFC 8599 phone: liblinphone's own push code, no callwake code in it,
 * registering through Kamailio with its pn-* parameters.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './eventually';
import { HOST, KAMAILIO_PORT } from './kamailio';
import { start, stop, WORK, type Child } from './processes';

/** Where the phones keep their rc files and logs; also their HOME's parent. */
export const LINPHONE_DIR = join(WORK, 'linphone');
export const LINPHONE_HOME = join(LINPHONE_DIR, 'home');

export interface LinphoneEvent {
  at: number;
  sent: boolean;
  line: string;
  text: string;
}

/**
 * The SIP messages linphonec logged (-d 5): time, direction, first line and
 * text. belle-sip logs `message sent to [...]` or `received [n] new bytes
 * from [...]` with a local timestamp, then the message.
 */
function linphoneTrace(file: string): LinphoneEvent[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const entries: LinphoneEvent[] = [];
  const stamp =
    /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d):(\d{3}) belle-sip-message-channel \[[^\]]*\]: (message sent to|received \[\d+\] new bytes from)/;
  for (let i = 0; i < lines.length; i += 1) {
    const match = stamp.exec(lines[i]!);
    if (!match) continue;
    const [, date, time, ms, how] = match;
    const message: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.trim() !== ''; j += 1) {
      message.push(lines[j]!);
    }
    entries.push({
      at: new Date(`${date!}T${time!}.${ms!}`).getTime(),
      sent: how!.startsWith('message sent'),
      line: message[0] ?? '',
      text: message.join('\n'),
    });
  }
  return entries;
}

export interface LinphonePhone {
  uuid: string;
  /** Kamailio's device key for it: sip- and the MD5 of its +sip.instance (unquoted). */
  deviceId: string;
  /** The log of its latest start. */
  readonly log: string;
  trace(): LinphoneEvent[];
  /** Starts linphonec (auto-answer) and waits for its REGISTER to be answered. */
  start(expect?: string): Promise<Child>;
  /** The phone's OS suspends the app: no de-registration, the binding stays. */
  kill(): Promise<void>;
  /** Types a linphonec command. */
  command(text: string): void;
}

/**
 * One linphonec phone: an account for `extension` on Kamailio with the given
 * push parameters, through liblinphone's own push code ([net]
 * push_notification=1), as Linphone's apps configure it. A fresh rc file on
 * each start: linphonec rewrites it when it exits.
 */
export function linphonePhone(
  name: string,
  {
    extension,
    port,
    pushParameters,
    remotePush = false,
  }: { extension: string; port: number; pushParameters: string; remotePush?: boolean },
): LinphonePhone {
  const uuid = randomUUID();
  const rc = join(LINPHONE_DIR, `${name}.rc`);
  let run: Child | undefined;
  let starts = 0;
  const config = [
    '[sip]',
    `sip_port=${port}`,
    'sip_tcp_port=-1',
    'sip_tls_port=-1',
    'default_proxy=0',
    '[rtp]',
    `audio_rtp_port=${port + 2}`,
    '[net]',
    'push_notification=1',
    '[misc]',
    `uuid=${uuid}`,
    '[proxy_0]',
    `reg_proxy=<sip:${HOST}:${KAMAILIO_PORT};transport=udp>`,
    `reg_identity=sip:${extension}@${HOST}`,
    'reg_expires=3600',
    'reg_sendregister=1',
    'push_notification_allowed=1',
    `remote_push_notification_allowed=${remotePush ? 1 : 0}`,
    `push_parameters=${pushParameters}`,
    'contact_parameters=+sip.pnsreg',
    '',
  ].join('\n');
  const logOf = () => join(LINPHONE_DIR, `${name}-${starts}.log`);
  return {
    uuid,
    deviceId: `sip-${createHash('md5').update(`<urn:uuid:${uuid}>`).digest('hex')}`,
    get log() {
      return logOf();
    },
    trace() {
      return linphoneTrace(logOf());
    },
    async start(expect = 'LinphoneRegistrationOk') {
      starts += 1;
      writeFileSync(rc, config);
      const log = logOf();
      const args = ['-c', rc, '-a', '-d', '5', '-l', log];
      const started = start(`linphonec-${name}`, 'linphonec', args, {
        env: { ...process.env, HOME: LINPHONE_HOME },
        logFile: join(LINPHONE_DIR, `${name}-${starts}.out.log`),
      });
      run = started;
      const state = `to [${expect}]`;
      await eventually(
        () => existsSync(log) && readFileSync(log, 'utf8').includes(state),
        `linphonec ${name} to reach ${expect}`,
      );
      return started;
    },
    async kill() {
      if (!run) return;
      stop(run.child, 'SIGKILL');
      await run.done;
      run = undefined;
    },
    command(text: string) {
      run!.child.stdin.write(`${text}\n`);
    },
  };
}
