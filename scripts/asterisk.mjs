// Finds or installs the Asterisk the real-Asterisk e2e run needs
// (`node scripts/asterisk.mjs` installs it and prints its version):
// 1. `asterisk` on PATH;
// 2. else the tarball named by CALLWAKE_ASTERISK_TARBALL;
// 3. else one an earlier run unpacked at /opt/asterisk;
// 4. else
//    ../shared/asterisk/asterisk-22.9.0-debian12-amd64.tar.gz beside the repository,
//    unpacked at / (it holds opt/asterisk, whose binary finds its libraries through
//    its RUNPATH /opt/asterisk/lib, so it must stay there), after apt-get installs the
//    Debian 12 libraries it links against.
// With none of them it throws, saying how to get one: the run fails, never skips.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from './e2e-run.mjs';

export const TARBALL_NAME = 'asterisk-22.9.0-debian12-amd64.tar.gz';
const PREFIX_BINARY = '/opt/asterisk/sbin/asterisk';
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

/** The tarball to unpack: CALLWAKE_ASTERISK_TARBALL, else ../shared/asterisk/ beside the repo. */
export function tarballPath(root, env = process.env) {
  if (env.CALLWAKE_ASTERISK_TARBALL) return resolve(env.CALLWAKE_ASTERISK_TARBALL);
  return join(root, '..', 'shared', 'asterisk', TARBALL_NAME);
}

/**
 * Returns `{ binary, version }` of a runnable Asterisk, installing it from the
 * tarball when needed. Throws an Error whose message says how to get one.
 */
export function ensureAsterisk(root, { env = process.env, log = console.log } = {}) {
  const onPath = which('asterisk');
  if (onPath) {
    const v = version(onPath);
    if (v) return { binary: onPath, version: v, source: 'PATH' };
    throw new Error(`${onPath} (on PATH) does not run: \`${onPath} -V\` failed.`);
  }
  // Already unpacked by an earlier run, unless a tarball was named explicitly.
  if (!env.CALLWAKE_ASTERISK_TARBALL && existsSync(PREFIX_BINARY)) {
    const v = version(PREFIX_BINARY);
    if (v) return { binary: PREFIX_BINARY, version: v, source: '/opt/asterisk' };
  }
  const tarball = tarballPath(root, env);
  if (!existsSync(tarball)) {
    throw new Error(
      [
        'No Asterisk for the real-Asterisk e2e run:',
        '  - no `asterisk` on PATH;',
        env.CALLWAKE_ASTERISK_TARBALL
          ? `  - CALLWAKE_ASTERISK_TARBALL names ${tarball}, which does not exist.`
          : `  - none unpacked at /opt/asterisk, and no tarball at ${tarball}.`,
        'Get one of these: install Asterisk 22 (with func_curl, chan_pjsip, app_dial, app_stack)',
        `so \`asterisk\` is on PATH; or set CALLWAKE_ASTERISK_TARBALL to ${TARBALL_NAME}`,
        '(Asterisk 22.9.0 built for Debian 12 under /opt/asterisk; ../shared/asterisk/README.md',
        'says how it is built), or put that file in ../shared/asterisk/ beside this repository.',
      ].join('\n'),
    );
  }
  const missing = missingPackages(RUNTIME_PACKAGES);
  if (missing.length > 0 && !aptInstall(missing, log)) {
    throw new Error(`apt-get could not install Asterisk's libraries: ${missing.join(' ')}`);
  }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const tar = [...sudo, 'tar', '-C', '/', '-xzf', tarball, 'opt/asterisk'];
  log(`$ ${tar.join(' ')}`);
  const unpacked = spawnSync(tar[0], tar.slice(1), { stdio: 'inherit', timeout: 300_000 });
  if (unpacked.status !== 0) throw new Error(`could not unpack ${tarball} at /opt/asterisk`);
  const v = version(PREFIX_BINARY);
  if (!v) throw new Error(`${PREFIX_BINARY} from ${tarball} does not run (\`-V\` failed).`);
  return { binary: PREFIX_BINARY, version: v, source: tarball };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const found = ensureAsterisk(root);
    console.log(`${found.version}: ${found.binary} (from ${found.source})`);
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(1);
  }
}
