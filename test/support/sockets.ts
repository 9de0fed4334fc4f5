import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Which processes hold a TCP connection to 127.0.0.1:`port` (Linux /proc): each established
 * socket whose remote end is that port, mapped to the process that owns it through its
 * file descriptors. A test finds this way the one Functions emulator worker that is talking
 * to a fake provider, to kill it.
 */
export function processesConnectedTo(port: number): number[] {
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
      const remote = fields[2];
      // st 01 = ESTABLISHED; the port is the hex after the colon.
      if (!remote || fields[3] !== '01') continue;
      if (parseInt(remote.split(':')[1] ?? '', 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
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
