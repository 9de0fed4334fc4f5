// Environment for `firebase emulators:*`: runs the Firestore and Pub/Sub emulators from the
// machine's gcloud packages when present, so no download is needed offline.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

export const GCLOUD_PUBSUB_EMULATOR =
  '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';
export const GCLOUD_FIRESTORE_JAR =
  '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';
const MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';

/**
 * A one-entry zip (a jar holding only META-INF/MANIFEST.MF); no JDK `jar` tool needed. The
 * local header and the central directory say the same of the entry, written once.
 */
function manifestJar(manifest) {
  const name = Buffer.from('META-INF/MANIFEST.MF');
  const data = Buffer.from(manifest);
  const packed = deflateRawSync(data);
  // Version 2.0 needed, no flags, deflated, 1980-01-01 00:00 (zip dates cannot be zero).
  const entry = Buffer.alloc(26);
  entry.writeUInt16LE(20, 0);
  entry.writeUInt16LE(8, 4);
  entry.writeUInt16LE(0x21, 8);
  entry.writeUInt32LE(crc32(data), 10);
  entry.writeUInt32LE(packed.length, 14);
  entry.writeUInt32LE(data.length, 18);
  entry.writeUInt16LE(name.length, 22);
  const u32 = (value) => {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return bytes;
  };
  const local = Buffer.concat([u32(0x04034b50), entry, name, packed]);
  // Made by version 2.0; no comment, attributes, or offset: the entry starts the file.
  const central = Buffer.concat([
    u32(0x02014b50),
    Buffer.from([20, 0]),
    entry,
    Buffer.alloc(14),
    name,
  ]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length, 16);
  return Buffer.concat([local, central, end]);
}

/**
 * Env for the firebase CLI. Where the gcloud Firestore emulator jar exists, a
 * launcher jar naming its main class is written under .cache/ and passed in
 * FIRESTORE_EMULATOR_BINARY_PATH; elsewhere firebase-tools downloads its own.
 */
export function emulatorEnv(root, base = process.env) {
  const env = { ...base };
  // firebase-tools finds its running emulator hub through os.tmpdir()/hub-<project>.json
  // (lib/emulator/hub.js); a private temporary folder keeps another suite of the same project on
  // this machine (in another network namespace) from replacing or removing that file, which
  // made `--export-on-exit` find no emulators to export.
  // The Functions emulator gives each new worker 30 s to load the functions, unless this says
  // otherwise (firebase-tools lib/emulator/functionsRuntimeWorker.js, waitForSocketReady), and
  // the CLI's discovery reads it too (runtimes/discovery/index.js, 10 s by default); a busy
  // 2-core machine starting dozens of workers at once (50 concurrent requests) needs longer.
  env.FUNCTIONS_DISCOVERY_TIMEOUT ??= '180';
  if (!base.CALLWAKE_SHARED_TMPDIR) {
    env.TMPDIR = join(root, '.cache', 'emulators-tmp');
    mkdirSync(env.TMPDIR, { recursive: true });
  }
  if (!env.FIRESTORE_EMULATOR_BINARY_PATH && existsSync(GCLOUD_FIRESTORE_JAR)) {
    const dir = join(root, '.cache');
    mkdirSync(dir, { recursive: true });
    const launcher = join(dir, 'firestore-emulator-launcher.jar');
    const manifest =
      'Manifest-Version: 1.0\r\n' +
      `Main-Class: ${MAIN_CLASS}\r\n` +
      `Class-Path: file:${GCLOUD_FIRESTORE_JAR}\r\n\r\n`;
    writeFileSync(launcher, manifestJar(manifest));
    env.FIRESTORE_EMULATOR_BINARY_PATH = launcher;
  }
  // The Pub/Sub emulator from the gcloud package (google-cloud-cli-pubsub-emulator). firebase-tools
  // chmods the file it is given (downloadableEmulators.js getDownloadDetails), so it gets a
  // wrapper of ours, not the package's own script.
  if (!env.PUBSUB_EMULATOR_BINARY_PATH && existsSync(GCLOUD_PUBSUB_EMULATOR)) {
    const dir = join(root, '.cache');
    mkdirSync(dir, { recursive: true });
    const wrapper = join(dir, 'pubsub-emulator.sh');
    // The CLI stops the emulator with SIGINT and, when it has not exited 4 s later, kills every
    // process named like pubsub-emulator on the machine (lib/emulator/pubsubEmulator.js
    // PUBSUB_KILL_COMMAND), other suites' included. The JVM can take longer than that on a busy
    // machine; it holds nothing to save, so the wrapper ends it at once.
    const script = [
      '#!/bin/sh',
      `${GCLOUD_PUBSUB_EMULATOR} "$@" &`,
      'child=$!',
      "trap 'kill -9 $child 2>/dev/null; exit 0' INT TERM",
      'wait $child',
      '',
    ].join('\n');
    writeFileSync(wrapper, script, { mode: 0o755 });
    env.PUBSUB_EMULATOR_BINARY_PATH = wrapper;
  }
  return env;
}
