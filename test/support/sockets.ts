import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Which processes hold a TCP connection to 127.0.0.1:`port` (Linux /proc): each established
 * socket whose remote end is that port, mapped to the process that owns it through its
 * file descriptors. A test finds this way the one Functions emulator worker that is talking
 * to a fake provider, to kill it.
 */
export function processesConnectedTo(port: number): number[] {
  return processesOwning(establishedSockets((_local, remote) => remote === port));
}

/**
 * The process whose connection to 127.0.0.1:`port` leaves from its local port `clientPort`
 * (what the server saw as the client's port): the one process that sent a given request.
 */
export function processSending(port: number, clientPort: number): number | undefined {
  const pids = processesOwning(
    establishedSockets((local, remote) => remote === port && local === clientPort),
  );
  return pids.length === 1 ? pids[0] : undefined;
}

/** The inodes of the established TCP sockets whose local and remote ports `keep` takes. */
function establishedSockets(keep: (local: number, remote: number) => boolean): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, remote, state] = fields;
      // st 01 = ESTABLISHED; the port is the hex after the colon.
      if (!local || !remote || state !== '01' || !fields[9]) continue;
      const portOf = (address: string) => parseInt(address.split(':')[1] ?? '', 16);
      if (keep(portOf(local), portOf(remote))) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** The processes holding one of `inodes` open. */
function processesOwning(inodes: Set<string>): number[] {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) pids.add(Number(entry));
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  return [...pids];
}
