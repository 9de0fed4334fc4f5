/**
 * Kamailio with integrations/kamailio/kamailio.cfg (or another config), in the foreground, its
 * own process group, on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL, ROOT, type TestTenant } from '../../support/emulator';
import { eventually } from './eventually';
import { log } from './figures';
import { start, stopAll, WORK, type Child } from './processes';

// Another copy of the config (an earlier one, to compare) with CALLWAKE_E2E_KAMAILIO_CFG.
export const CFG =
  process.env.CALLWAKE_E2E_KAMAILIO_CFG ?? join(ROOT, 'integrations', 'kamailio', 'kamailio.cfg');
export const HOST = '127.0.0.1';
export const KAMAILIO_PORT = 5070;
const TASK_QUEUE = 256;

/**
 * Raises net.unix.max_dgram_qlen as integrations/kamailio/README.md advises, when this run has a
 * network namespace of its own (loopback only, as under `unshare --net`): the setting is per
 * namespace, so the machine's own is left alone. Kamailio hands each request to callwake to a
 * task worker through a unix datagram socket, and with the kernel's default (10 queued) a SIP
 * worker waits for a task worker to be scheduled when a burst comes.
 */
function raiseTaskQueue(): void {
  const file = '/proc/sys/net/unix/max_dgram_qlen';
  try {
    // /proc/net/dev lists the interfaces of this process's namespace.
    const interfaces = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]!.trim())
      .filter(Boolean);
    if (interfaces.length !== 1 || interfaces[0] !== 'lo') return;
    if (Number(readFileSync(file, 'utf8')) >= TASK_QUEUE) return;
    writeFileSync(file, String(TASK_QUEUE));
    log(`net.unix.max_dgram_qlen raised to ${readFileSync(file, 'utf8').trim()} in this namespace`);
  } catch {
    // Not allowed here: Kamailio works with the default, bursts wait a little longer.
  }
}

/**
 * Kamailio in the foreground (-DD), logging to stderr. It reaches callwake at `url` (a recording
 * proxy, or the API itself) and signs with the tenant's PBX signing secret; it is never given the
 * API key. `defines` override the config's (-A).
 */
export async function startKamailio(
  tenant: TestTenant,
  logName = 'kamailio',
  url = BASE_URL,
  defines: Record<string, string | number> = {},
  cfg = CFG,
): Promise<Child> {
  const args = [
    '-DD',
    '-E',
    ['-f', cfg],
    ['-P', join(WORK, `${logName}.run.pid`)],
    ['-Y', WORK],
    ['-m', '64'],
    ['-M', '8'],
    ['-A', `CALLWAKE_URL="${url}"`],
    ['-A', `CALLWAKE_KEY_ID="${tenant.signingKeyId}"`],
    ['-A', `CALLWAKE_SECRET="${tenant.signingSecret}"`],
    ['-A', `SIP_ADDR=${HOST}`],
    ['-A', `SIP_PORT=${KAMAILIO_PORT}`],
    ['-A', 'RING_TIMEOUT=30'],
    ...Object.entries(defines).map(([name, value]) => ['-A', `${name}=${value}`]),
  ].flat();
  raiseTaskQueue();
  const kamailio = start('kamailio', 'kamailio', args, {
    logFile: join(WORK, `${logName}.log`),
  });
  // Ready when it answers an OPTIONS keepalive.
  await eventually(
    () => sipOptions(),
    `Kamailio to answer OPTIONS on ${HOST}:${KAMAILIO_PORT}`,
    10_000,
  );
  return kamailio;
}

/** Stops `kamailio` (stopAll) and waits until nothing answers on its port any more. */
export async function stopKamailio(kamailio: Child): Promise<void> {
  await stopAll(kamailio);
  await eventually(
    async () => !(await sipOptions()),
    `${HOST}:${KAMAILIO_PORT} to fall silent`,
    10_000,
  );
}

/** Whether Kamailio answers an OPTIONS 200 within 300 ms. */
function sipOptions(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      done(false);
    }, 300);
    socket.on('message', (msg) => {
      done(msg.toString().startsWith('SIP/2.0 200'));
    });
    socket.on('error', () => {
      done(false);
    });
    socket.bind(0, HOST, () => {
      const { port } = socket.address();
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const request = [
        `OPTIONS sip:${HOST}:${KAMAILIO_PORT} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${port};branch=${branch}`,
        'Max-Forwards: 70',
        `From: <sip:probe@${HOST}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <sip:${HOST}:${KAMAILIO_PORT}>`,
        `Call-ID: probe-${randomBytes(6).toString('hex')}@${HOST}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, KAMAILIO_PORT, HOST);
    });
  });
}
