// `node scripts/contention-probe.mjs`: what two transactions on one document at the same moment
// cost on the Firestore emulator, beside one alone. Work a request does while the trigger its
// own write starts works on the same call document pays this (bench/README.md). Starts the
// Firestore emulator alone (its fixed port: run it in a network namespace, or under the
// emulators' lock, when anything else may be using it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { emulatorEnv } from './emulators.mjs';
import { emulatorCommand } from './lib/emulatorCommand.mjs';
import { requireDeployNode, root } from './runtime.mjs';

const ROUNDS = 5;

async function probe() {
  const { initializeApp } = await import('firebase-admin/app');
  const { getFirestore } = await import('firebase-admin/firestore');
  const db = getFirestore(initializeApp({ projectId: 'demo-contention' }));
  const ref = db.doc('probe/one');
  await ref.set({ n: 0 });
  const transaction = async () => {
    const started = Date.now();
    let tries = 0;
    await db.runTransaction(async (tx) => {
      tries += 1;
      const snap = await tx.get(ref);
      tx.update(ref, { n: Number(snap.get('n')) + 1 });
    });
    return `${Date.now() - started} ms${tries > 1 ? ` (${tries} tries)` : ''}`;
  };
  for (let round = 1; round <= ROUNDS; round += 1) {
    const alone = await transaction();
    const together = await Promise.all([transaction(), transaction()]);
    console.log(`round ${round}: one alone ${alone}; two at once ${together.join(' and ')}`);
  }
}

if (process.argv.includes('--inside')) {
  await probe();
  process.exit(0);
}
requireDeployNode('contention-probe');
const inner = `${process.execPath} ${fileURLToPath(import.meta.url)} --inside`;
const args = [
  ...emulatorCommand('emulators:exec', { only: 'firestore', project: 'demo-contention' }),
  inner,
];
const run = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: 'inherit',
  env: emulatorEnv(root),
});
process.exit(run.status ?? 1);
