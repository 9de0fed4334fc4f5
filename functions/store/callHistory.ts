import type { DocumentSnapshot, Firestore, Query } from 'firebase-admin/firestore';
import { callUuid } from '../core/call/callUuid';
import type { Call } from '../core/model';
import { paths } from './firestore';
import type { Page, Paging } from './paging';

/** The call's document, named by the PBX's call id or by the call's UUID (a push, a log line). */
async function callDoc(
  db: Firestore,
  tenant: string,
  id: string,
): Promise<DocumentSnapshot | null> {
  const col = db.collection(paths.calls(tenant));
  const snap = await col.doc(callUuid(tenant, id)).get();
  if (snap.exists) return snap;
  const byUuid = /^[0-9a-f-]{36}$/.test(id) ? await col.doc(id).get() : null;
  return byUuid?.exists ? byUuid : null;
}

/** A call of the tenant by call id or call UUID; null when it has none. */
export async function findCall(db: Firestore, tenant: string, id: string): Promise<Call | null> {
  return ((await callDoc(db, tenant, id))?.data() as Call | undefined) ?? null;
}

/**
 * One page of the tenant's calls, newest first, optionally of one extension; `after` names the
 * last call shown (call id or UUID) and the next page's cursor is a call id. Null when the call
 * `after` names does not exist.
 */
export async function recentCalls(
  db: Firestore,
  tenant: string,
  extension: string | undefined,
  page: Paging,
): Promise<Page<Call> | null> {
  let query: Query = db.collection(paths.calls(tenant));
  if (extension !== undefined) query = query.where('extension', '==', extension);
  query = query.orderBy('createdAt', 'desc');
  if (page.after !== undefined) {
    const cursor = await callDoc(db, tenant, page.after);
    if (!cursor) return null;
    query = query.startAfter(cursor);
  }
  const docs = (await query.limit(page.limit + 1).get()).docs;
  const calls = docs.slice(0, page.limit).map((doc) => doc.data() as Call);
  const next = docs.length > page.limit ? calls.at(-1)?.callId : undefined;
  return { items: calls, ...(next ? { next } : {}) };
}
