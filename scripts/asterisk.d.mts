// Types of asterisk.mjs, for the unit tests that import it.
export interface Found {
  binary: string;
  version: string;
  source: string;
}
export const TARBALL_NAME: string;
export function aptCandidate(policy: string): string | undefined;
export function asteriskSource(machine: {
  onPath: boolean;
  tarballNamed: boolean;
  unpacked: boolean;
  packaged: boolean;
  tarballExists: boolean;
}): 'path' | 'unpacked' | 'package' | 'tarball' | 'none';
export function describeAsterisk(found: Found): string;
export function tarballPath(root: string, env?: Record<string, string | undefined>): string;
export function ensureAsterisk(
  root: string,
  options?: { env?: Record<string, string | undefined>; log?: (line: string) => void },
): Found;
