import type { Firestore } from 'firebase-admin/firestore';
import type { ExtensionDirectory } from '../core/ports';
import { paths } from './firestore';

/**
 * tenants/{tenant}/extensions/{ext}: written (merged) whenever a device is registered or a member
 * added there, and never deleted, so it says the extension was used once. Memberships made before
 * that document existed count too.
 */
export class FirestoreExtensionDirectory implements ExtensionDirectory {
  constructor(private readonly db: Firestore) {}

  async everUsed(tenant: string, extension: string): Promise<boolean> {
    const [marker, members] = await Promise.all([
      this.db.doc(paths.extension(tenant, extension)).get(),
      this.db.collection(paths.members(tenant, extension)).limit(1).get(),
    ]);
    return marker.exists || !members.empty;
  }
}
