import type { Query, QueryDocumentSnapshot } from 'firebase-admin/firestore';
import { firestoreModule } from './firestore';

/** A page to read: at most `limit` items, after the item whose cursor is `after`. */
export interface Paging {
  limit: number;
  after?: string;
}

/** One page of a list, and the cursor of the next when there is more. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Pages a list already in memory (short lists: keys, extensions). */
export function pageOf<T>(all: T[], idOf: (item: T) => string, page: Paging): Page<T> {
  const { after } = page;
  const start = after === undefined ? 0 : all.findIndex((item) => idOf(item) > after);
  const rest = start < 0 ? [] : all.slice(start);
  const items = rest.slice(0, page.limit);
  const last = items.at(-1);
  return { items, ...(rest.length > page.limit && last ? { next: idOf(last) } : {}) };
}

/** One page of a query, in document id order; `after` is the last id already shown. */
export async function pageByDocId<T>(
  query: Query,
  page: Paging,
  read: (doc: QueryDocumentSnapshot) => T,
): Promise<Page<T>> {
  const { FieldPath } = await firestoreModule();
  let ordered = query.orderBy(FieldPath.documentId());
  if (page.after !== undefined) ordered = ordered.startAfter(page.after);
  const docs = (await ordered.limit(page.limit + 1).get()).docs;
  const items = docs.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(read), ...(docs.length > page.limit && last ? { next: last.id } : {}) };
}
