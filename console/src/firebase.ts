import { initializeApp, type FirebaseOptions } from 'firebase/app';
import {
  browserLocalPersistence,
  connectAuthEmulator,
  indexedDBLocalPersistence,
  initializeAuth,
  type Auth,
} from 'firebase/auth';
import { connectFirestoreEmulator, initializeFirestore, type Firestore } from 'firebase/firestore';

/** Where the emulators listen (firebase.json), put in by the build; used for demo-* projects. */
declare const __EMULATORS__: { auth: string; firestore: string };

export interface Services {
  projectId: string;
  auth: Auth;
  db: Firestore;
}

/**
 * The project's web configuration comes from Hosting itself (`/__/firebase/init.json`, served
 * for the project the site belongs to, and by the Hosting emulator), so the same build serves
 * every project. A `demo-*` project exists only on the emulators (Firebase's rule), so the
 * console then talks to them.
 */
export async function connect(): Promise<Services> {
  const res = await fetch('/__/firebase/init.json');
  if (!res.ok) throw new Error(`/__/firebase/init.json answered ${res.status}`);
  const config = (await res.json()) as FirebaseOptions & { projectId: string };
  const app = initializeApp(config);
  // No popup or redirect resolver: email and password sign-in needs no iframe or script from
  // elsewhere, which the Content-Security-Policy forbids.
  const auth = initializeAuth(app, {
    persistence: [indexedDBLocalPersistence, browserLocalPersistence],
  });
  const db = initializeFirestore(app, {});
  if (config.projectId.startsWith('demo-')) {
    connectAuthEmulator(auth, `http://${__EMULATORS__.auth}`, { disableWarnings: true });
    const [host = '127.0.0.1', port = '8080'] = __EMULATORS__.firestore.split(':');
    connectFirestoreEmulator(db, host, Number(port));
  }
  return { projectId: config.projectId, auth, db };
}
