import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signInAnonymously,
  signInWithEmailAndPassword,
  type Auth,
} from 'firebase/auth';
import {
  connectFirestoreEmulator,
  doc,
  getFirestore,
  serverTimestamp,
  setDoc,
  type Firestore,
} from 'firebase/firestore';
import { db, PROJECT_ID, type TestTenant } from './emulator';
import { api, retrying503 } from './http';

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

/** A Firebase app on the emulators, not signed in yet. */
function openApp(): { app: FirebaseApp; name: string; auth: Auth; db: Firestore } {
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
  return { app, name, auth, db };
}

/** Signs a new user in, as a freshly installed app would. */
export async function signInApp(): Promise<TestApp> {
  const { app, name, auth, db } = openApp();
  await createUserWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
  // Signed in again: the Auth emulator stamps a new password's validity in whole seconds after
  // the sign-up's login time, so the sign-up's token can fall a second short of it and count
  // as revoked (the API checks revocation); a sign-in's token never does.
  const { user } = await signInWithEmailAndPassword(auth, `${name}@example.test`, `pw-${name}`);
  return {
    uid: user.uid,
    db,
    idToken: () => user.getIdToken(),
    close: () => deleteApp(app),
  };
}

/** A user signed in anonymously (Firebase Auth's anonymous provider, as a kiosk phone might). */
export async function signInAnonymousApp(): Promise<TestApp> {
  const { app, auth, db } = openApp();
  const { user } = await signInAnonymously(auth);
  return {
    uid: user.uid,
    db,
    idToken: () => user.getIdToken(),
    close: () => deleteApp(app),
  };
}

/** An app that never signed in: it has no uid and no ID token. */
export function signedOutApp(): TestApp {
  const { app, db } = openApp();
  return {
    uid: '',
    db,
    idToken: () => Promise.reject(new Error('a signed-out app has no ID token')),
    close: () => deleteApp(app),
  };
}

/**
 * The PBX invites `app`'s user to `ext`, and the app accepts: a membership needs both (the
 * user's consent).
 */
export async function makeMember(tenant: TestTenant, ext: string, app: TestApp): Promise<void> {
  // Set-up, not the test: retried as any client is told to (503, 429 busy): on a loaded machine
  // a cold instance's store budget can run out, and parallel invitations contend.
  const invited = await retrying503(() =>
    api('PUT', `/v1/extensions/${ext}/members/${app.uid}`, { key: tenant.key }),
  );
  assert.equal(invited.status, 202, invited.text);
  const accepted = await retrying503(async () =>
    api('POST', '/v1/app/invitations/accept', {
      headers: { Authorization: `Bearer ${await app.idToken()}` },
      form: { tenant: tenant.id, extension: ext },
    }),
  );
  // A retried acceptance whose first try landed finds no invitation left: the membership holds.
  const landed =
    accepted.retried &&
    accepted.status === 404 &&
    (await db().doc(`tenants/${tenant.id}/extensions/${ext}/members/${app.uid}`).get()).exists;
  if (!landed) assert.equal(accepted.status, 200, accepted.text);
}

/** A signed-in app user whom the PBX made a member of `ext` (invited, and accepted). */
export async function memberApp(tenant: TestTenant, ext: string): Promise<TestApp> {
  const app = await signInApp();
  await makeMember(tenant, ext, app);
  return app;
}

/** The app registers a new device of its own through the API. */
export async function registerAppDevice(
  app: TestApp,
  deviceId: string,
  form: Record<string, string>,
): Promise<void> {
  const reply = await api('PUT', `/v1/app/devices/${deviceId}`, {
    headers: { Authorization: `Bearer ${await app.idToken()}` },
    form,
  });
  assert.equal(reply.status, 201, reply.text);
}

/**
 * The app's answer to the call stored at `callDoc`, written through the Firebase SDK as
 * docs/app-integration.md shows: `answers/{deviceId}` with a server timestamp.
 */
export function answerWithSdk(
  app: TestApp,
  callDoc: string,
  deviceId: string,
  action: 'accept' | 'decline' = 'accept',
): Promise<void> {
  return setDoc(doc(app.db, `${callDoc}/answers/${deviceId}`), {
    action,
    deviceId,
    uid: app.uid,
    answeredAt: serverTimestamp(),
  });
}
