// Finds or installs the Asterisk the real-Asterisk e2e run needs
// (`node scripts/asterisk.mjs` installs it and prints which it is):
// 1. `asterisk` on PATH;
// 2. else the tarball named by CALLWAKE_ASTERISK_TARBALL;
// 3. else one an earlier run unpacked at /opt/asterisk;
// 4. else the distribution's `asterisk` package (Ubuntu ships one, Debian 12 does not),
//    installed with apt-get: a fresh clone has no ../shared/asterisk;
// 5. else
//    ../shared/asterisk/asterisk-22.9.0-debian12-amd64.tar.gz beside the repository,
//    unpacked at / (it holds opt/asterisk, whose binary finds its libraries through
//    its RUNPATH /opt/asterisk/lib, so it must stay there), after apt-get installs the
//    Debian 12 libraries it links against.
// With none of them it throws, saying how to get one: the run fails, never skips.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from './e2e-run.mjs';

export const TARBALL_NAME = 'asterisk-22.9.0-debian12-amd64.tar.gz';
const PREFIX_BINARY = '/opt/asterisk/sbin/asterisk';
// Where Debian's and Ubuntu's package puts it: /usr/sbin is not on every user's PATH.
const PACKAGE_BINARY = '/usr/sbin/asterisk';
// What the tarball's binary and modules link against (../shared/asterisk/README.md).
const RUNTIME_PACKAGES = [
  'libssl3',
  'libedit2',
  'libjansson4',
  'libsqlite3-0',
  'libxml2',
  'libxslt1.1',
  'libcurl4',
  'libsrtp2-1',
];

const which = (command) => {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
};

/** `asterisk -V` ("Asterisk 22.9.0"), or undefined when the binary does not run. */
function version(binary) {
  const run = spawnSync(binary, ['-V'], { encoding: 'utf8', timeout: 20_000 });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const missingPackages = (packages) =>
  packages.filter(
    (name) =>
      spawnSync('dpkg-query', ['-W', '-f', '${Status}', name], { encoding: 'utf8' }).stdout !==
      'install ok installed',
  );

/** The version `apt-cache policy` would install ("Candidate:"), or undefined when none. */
export function aptCandidate(policy) {
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(policy)?.[1];
  return candidate && candidate !== '(none)' ? candidate : undefined;
}

/**
 * Where the run's Asterisk comes from, given what the machine has: 'path', 'unpacked'
 * (/opt/asterisk, from an earlier run), 'package' (the distribution's), 'tarball' or 'none'.
 * A tarball named in CALLWAKE_ASTERISK_TARBALL is the caller's choice: only PATH goes before it.
 */
export function asteriskSource({ onPath, tarballNamed, unpacked, packaged, tarballExists }) {
  if (onPath) return 'path';
  if (tarballNamed) return tarballExists ? 'tarball' : 'none';
  if (unpacked) return 'unpacked';
  if (packaged) return 'package';
  if (tarballExists) return 'tarball';
  // apt's lists may be empty (a fresh container) or stale: a failed install updates them and
  // tries again, so the package is still worth asking for.
  return 'package';
}

/** Which Asterisk the run uses, in one line: "asterisk: system package 20.6.0 (/usr/sbin/asterisk)". */
export function describeAsterisk({ binary, version, source }) {
  return `asterisk: ${source} ${version.replace(/^Asterisk\s+/, '')} (${binary})`;
}

/** The distribution's `asterisk` package: installed, or offered by apt (Candidate not "(none)"). */
function distributionHasAsterisk() {
  if (missingPackages(['asterisk']).length === 0) return true;
  const policy = spawnSync('apt-cache', ['policy', 'asterisk'], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' }, // "Candidate:" is translated otherwise
  });
  return aptCandidate(policy.stdout ?? '') !== undefined;
}

/** The tarball to unpack: CALLWAKE_ASTERISK_TARBALL, else ../shared/asterisk/ beside the repo. */
export function tarballPath(root, env = process.env) {
  if (env.CALLWAKE_ASTERISK_TARBALL) return resolve(env.CALLWAKE_ASTERISK_TARBALL);
  return join(root, '..', 'shared', 'asterisk', TARBALL_NAME);
}

/** The error of a run that found no Asterisk, saying how to get one. */
function noAsterisk(tarball, env) {
  return new Error(
    [
      'No Asterisk for the real-Asterisk e2e run:',
      '  - no `asterisk` on PATH;',
      env.CALLWAKE_ASTERISK_TARBALL
        ? `  - CALLWAKE_ASTERISK_TARBALL names ${tarball}, which does not exist.`
        : `  - none unpacked at /opt/asterisk, no \`asterisk\` package apt-get could install, and no tarball at ${tarball}.`,
      'Get one of these: install Asterisk 22 (with func_curl, chan_pjsip, app_dial, app_stack)',
      `so \`asterisk\` is on PATH; or set CALLWAKE_ASTERISK_TARBALL to ${TARBALL_NAME}`,
      '(Asterisk 22.9.0 built for Debian 12 under /opt/asterisk; ../shared/asterisk/README.md',
      'says how it is built), or put that file in ../shared/asterisk/ beside this repository.',
    ].join('\n'),
  );
}

/**
 * Returns `{ binary, version, source }` of a runnable Asterisk, installing it from the
 * distribution's package or the tarball when needed. Throws an Error whose message says how to
 * get one.
 */
export function ensureAsterisk(root, { env = process.env, log = console.log } = {}) {
  const onPath = which('asterisk');
  const tarball = tarballPath(root, env);
  const tarballNamed = Boolean(env.CALLWAKE_ASTERISK_TARBALL);
  // Each look costs a process: taken only when the ones before it found nothing.
  const unpacked =
    !onPath && !tarballNamed && existsSync(PREFIX_BINARY) ? version(PREFIX_BINARY) : undefined;
  const source = asteriskSource({
    onPath: Boolean(onPath),
    tarballNamed,
    unpacked: Boolean(unpacked),
    packaged: !onPath && !tarballNamed && !unpacked && distributionHasAsterisk(),
    tarballExists: existsSync(tarball),
  });
  if (source === 'path') {
    const v = version(onPath);
    if (v) return { binary: onPath, version: v, source: 'on PATH' };
    throw new Error(`${onPath} (on PATH) does not run: \`${onPath} -V\` failed.`);
  }
  if (source === 'unpacked') {
    return { binary: PREFIX_BINARY, version: unpacked, source: 'tarball (unpacked earlier)' };
  }
  if (source === 'package') {
    if (missingPackages(['asterisk']).length > 0 && !aptInstall(['asterisk'], log)) {
      throw noAsterisk(tarball, env);
    }
    const binary = which('asterisk') ?? PACKAGE_BINARY;
    const v = version(binary);
    if (!v) throw new Error(`${binary} from the asterisk package does not run (\`-V\` failed).`);
    return { binary, version: v, source: 'system package' };
  }
  if (source === 'none') throw noAsterisk(tarball, env);
  const missing = missingPackages(RUNTIME_PACKAGES);
  if (missing.length > 0 && !aptInstall(missing, log)) {
    throw new Error(`apt-get could not install Asterisk's libraries: ${missing.join(' ')}`);
  }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const tar = [...sudo, 'tar', '-C', '/', '-xzf', tarball, 'opt/asterisk'];
  log(`$ ${tar.join(' ')}`);
  const untarred = spawnSync(tar[0], tar.slice(1), { stdio: 'inherit', timeout: 300_000 });
  if (untarred.status !== 0) throw new Error(`could not unpack ${tarball} at /opt/asterisk`);
  const v = version(PREFIX_BINARY);
  if (!v) throw new Error(`${PREFIX_BINARY} from ${tarball} does not run (\`-V\` failed).`);
  return { binary: PREFIX_BINARY, version: v, source: `tarball ${relative(root, tarball)}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const found = ensureAsterisk(root);
    console.log(describeAsterisk(found));
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(1);
  }
}
