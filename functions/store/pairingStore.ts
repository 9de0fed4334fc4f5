import type { Firestore } from 'firebase-admin/firestore';
import type { PairingCode, PairingStore } from '../core/ports';
import { paths } from './firestore';

interface PairingDoc extends PairingCode {
  createdAt: number;
  usedAt?: number;
  usedBy?: string;
}

/** pairingCodes/{sha256(code)}: a code is never stored in clear. */
export class FirestorePairingStore implements PairingStore {
  constructor(private readonly db: Firestore) {}

  async create(codeHash: string, code: PairingCode): Promise<void> {
    await this.db
      .collection(paths.pairingCodes)
      .doc(codeHash)
      .create({ ...code, createdAt: Date.now() });
  }

  async redeem(
    codeHash: string,
    uid: string,
    now: number,
    expect?: { tenant: string; extension: string },
  ): Promise<PairingCode | 'unknown' | 'expired' | 'used'> {
    const ref = this.db.collection(paths.pairingCodes).doc(codeHash);
    return this.db.runTransaction(async (tx) => {
      const doc = (await tx.get(ref)).data() as PairingDoc | undefined;
      if (!doc) return 'unknown';
      // Another extension's code is no answer to a guess at this one: it stays unused.
      if (expect && (doc.tenant !== expect.tenant || doc.extension !== expect.extension))
        return 'unknown';
      if (doc.usedAt !== undefined) return 'used';
      if (doc.expiresAt <= now) return 'expired';
      tx.update(ref, { usedAt: now, usedBy: uid });
      return { tenant: doc.tenant, extension: doc.extension, expiresAt: doc.expiresAt };
    });
  }
}
