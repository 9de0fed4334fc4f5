import type { Firestore } from 'firebase-admin/firestore';
import { OPERATOR_ROLES, type OperatorRole } from '../core/access/operatorRoles';
import { firestoreModule, paths } from './firestore';

/**
 * operators/{uid}: `{uid, email?, tenants: {<tenant>: 'viewer' | 'admin'}, updatedAt}`. One
 * document per operator, which the security rules read (get) to let the console's listeners see
 * a tenant's calls, and the API reads to authorise the console's routes. Only the server (the
 * CLI) writes it.
 */
export interface OperatorDoc {
  uid: string;
  email?: string;
  tenants: Record<string, OperatorRole>;
  updatedAt: number;
}

export interface OperatorGrant {
  uid: string;
  email?: string;
  role: OperatorRole;
}

const isRole = (value: unknown): value is OperatorRole =>
  OPERATOR_ROLES.includes(value as OperatorRole);

export class FirestoreOperatorStore {
  constructor(private readonly db: Firestore) {}

  private ref(uid: string) {
    return this.db.collection(paths.operators).doc(uid);
  }

  /** The operator's role in `tenant`, or null (no document, no grant, or a value not a role). */
  async roleOf(uid: string, tenant: string): Promise<OperatorRole | null> {
    return (await this.tenantsOf(uid))[tenant] ?? null;
  }

  /** Every tenant the operator holds a role in. */
  async tenantsOf(uid: string): Promise<Record<string, OperatorRole>> {
    const doc = (await this.ref(uid).get()).data() as Partial<OperatorDoc> | undefined;
    const granted = Object.entries(doc?.tenants ?? {}).filter(([, role]) => isRole(role));
    return Object.fromEntries(granted);
  }

  /** Gives `uid` the role in `tenant` (replacing another); false when it held it already. */
  async grant(uid: string, tenant: string, role: OperatorRole, email?: string): Promise<boolean> {
    const ref = this.ref(uid);
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(ref)).data() as Partial<OperatorDoc> | undefined;
      if (doc?.tenants?.[tenant] === role) return false;
      tx.set(
        ref,
        {
          uid,
          ...(email ? { email } : {}),
          tenants: { [tenant]: role },
          updatedAt: Date.now(),
        },
        { merge: true },
      );
      return true;
    });
  }

  /** Takes the operator's role in `tenant` away; false when it had none. */
  async revoke(uid: string, tenant: string): Promise<boolean> {
    const ref = this.ref(uid);
    const { FieldPath, FieldValue } = await firestoreModule();
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(ref)).data() as Partial<OperatorDoc> | undefined;
      if (!doc?.tenants || !(tenant in doc.tenants)) return false;
      tx.update(
        ref,
        new FieldPath('tenants', tenant),
        FieldValue.delete(),
        'updatedAt',
        Date.now(),
      );
      return true;
    });
  }

  /** The tenant's operators, by uid. */
  async listFor(tenant: string): Promise<OperatorGrant[]> {
    const { FieldPath } = await firestoreModule();
    const snap = await this.db
      .collection(paths.operators)
      .where(new FieldPath('tenants', tenant), 'in', [...OPERATOR_ROLES])
      .get();
    return snap.docs
      .map((d) => d.data() as OperatorDoc)
      .map((d) => ({
        uid: d.uid,
        ...(d.email ? { email: d.email } : {}),
        role: d.tenants[tenant] ?? 'viewer',
      }))
      .sort((a, b) => a.uid.localeCompare(b.uid));
  }
}
