import { randomBytes } from 'node:crypto';
import { deleteApp, initializeApp } from 'firebase/app';
import { connectAuthEmulator, createUserWithEmailAndPassword, getAuth } from 'firebase/auth';
import type { OperatorRole } from '../../functions/core/access/operatorRoles';
import { FirestoreOperatorStore } from '../../functions/store/operatorStore';
import { db, PROJECT_ID } from './emulator';

export interface TestOperator {
  uid: string;
  email: string;
  password: string;
}

/** A person with an email and password in the Auth emulator, as an admin would add one. */
export async function createPerson(): Promise<TestOperator> {
  const name = `op-${randomBytes(5).toString('hex')}`;
  const email = `${name}@example.test`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const app = initializeApp({ projectId: PROJECT_ID, apiKey: 'demo-api-key' }, name);
  try {
    const auth = getAuth(app);
    connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? ''}`, {
      disableWarnings: true,
    });
    const { user } = await createUserWithEmailAndPassword(auth, email, password);
    return { uid: user.uid, email, password };
  } finally {
    await deleteApp(app);
  }
}

/** A person made an operator of `tenant` with `role`, through the store the CLI grants with. */
export async function createOperator(tenant: string, role: OperatorRole): Promise<TestOperator> {
  const person = await createPerson();
  await new FirestoreOperatorStore(db()).grant(person.uid, tenant, role, person.email);
  return person;
}
