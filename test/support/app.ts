import { randomBytes } from 'node:crypto';
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from 'firebase/auth';
import { connectFirestoreEmulator, getFirestore, type Firestore } from 'firebase/firestore';
import { PROJECT_ID } from './emulator';

/** A phone's app: the Firebase JS SDK signed in to the Auth emulator, talking to the Firestore emulator. */
export interface TestApp {
  uid: string;
  db: Firestore;
  idToken(): Promise<string>;
  close(): Promise<void>;
}

function hostPort(value: string | undefined, name: string): [string, number] {
  if (!value)
    throw new Error(`${name} is not set: run the integration tests through \`npm test\`.`);
  const [host = '127.0.0.1', port = '0'] = value.split(':');
  return [host, Number(port)];
}

/** Signs a new user in, as a freshly installed app would. */
export async function signInApp(): Promise<TestApp> {
  const name = `app-${randomBytes(6).toString('hex')}`;
  const app: FirebaseApp = initializeApp({ projectId: PROJECT_ID, apiKey: 'demo-api-key' }, name);
  const auth = getAuth(app);
  const [authHost, authPort] = hostPort(
    process.env.FIREBASE_AUTH_EMULATOR_HOST,
    'FIREBASE_AUTH_EMULATOR_HOST',
  );
  connectAuthEmulator(auth, `http://${authHost}:${authPort}`, { disableWarnings: true });
  const db = getFirestore(app);
  const [fsHost, fsPort] = hostPort(process.env.FIRESTORE_EMULATOR_HOST, 'FIRESTORE_EMULATOR_HOST');
  connectFirestoreEmulator(db, fsHost, fsPort);
  const { user } = await createUserWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
  return {
    uid: user.uid,
    db,
    idToken: () => user.getIdToken(),
    close: () => deleteApp(app),
  };
}
