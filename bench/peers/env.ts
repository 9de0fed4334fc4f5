import { getApps, initializeApp, type App, type AppOptions } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

/** The emulator passes the bench the fake providers' addresses, as it does to callwake. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the peers through \`npm run bench\`.`);
  return value;
}

export const projectId = () =>
  process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-callwake';

/** A named firebase-admin app, made once per instance. */
export function adminApp(name: string, options: AppOptions = {}): App {
  return (
    getApps().find((a) => a.name === name) ??
    initializeApp({ projectId: projectId(), ...options }, name)
  );
}

/** The Firestore client of a named app with the default credentials. */
export const adminDb = (name: string): Firestore => getFirestore(adminApp(name));
