import type { Firestore, Query } from 'firebase-admin/firestore';
import type { Device } from '../core/model';
import { paths } from './firestore';
import { pageByDocId, pageOf, type Page, type Paging } from './paging';

/** One page of the tenant's devices by id, optionally of one extension only. */
export function devicesPage(
  db: Firestore,
  tenant: string,
  extension: string | undefined,
  page: Paging,
): Promise<Page<Device>> {
  let query: Query = db.collection(paths.devices(tenant));
  if (extension !== undefined) query = query.where('extension', '==', extension);
  return pageByDocId(query, page, (doc) => doc.data() as Device);
}

export interface ExtensionSummary {
  extension: string;
  devices: number;
  members: number;
}

/**
 * One page of the tenant's extensions in use, by name, with their device and member counts.
 * Extensions are not documents of their own: an extension is in use when a device is
 * registered for it or a user is its member. A page may hold fewer than `limit` items: names
 * whose members have all gone are left out after paging.
 */
export async function extensionsInUse(
  db: Firestore,
  tenant: string,
  page: Paging,
): Promise<Page<ExtensionSummary>> {
  const [deviceSnap, memberParents] = await Promise.all([
    db.collection(paths.devices(tenant)).select('extension').get(),
    // listDocuments() also returns extension documents that only hold a members collection.
    db.collection(`${paths.tenant(tenant)}/extensions`).listDocuments(),
  ]);
  const deviceCount = new Map<string, number>();
  for (const doc of deviceSnap.docs) {
    const ext = String(doc.get('extension'));
    deviceCount.set(ext, (deviceCount.get(ext) ?? 0) + 1);
  }
  const names = [...new Set([...deviceCount.keys(), ...memberParents.map((ref) => ref.id)])].sort();
  const { items, next } = pageOf(names, (name) => name, page);
  const summaries: ExtensionSummary[] = await Promise.all(
    items.map(async (extension) => {
      const members = await db.collection(paths.members(tenant, extension)).count().get();
      return {
        extension,
        devices: deviceCount.get(extension) ?? 0,
        members: members.data().count,
      };
    }),
  );
  const shown = summaries.filter((e) => e.devices > 0 || e.members > 0);
  return { items: shown, ...(next === undefined ? {} : { next }) };
}
