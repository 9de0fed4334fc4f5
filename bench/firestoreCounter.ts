/**
 * Counts the Firestore document reads and writes firebase-admin performs, by wrapping its
 * classes' prototypes in this process. What counts:
 *
 * - reads: every document a get returns or is asked for. `DocumentReference.get` and
 *   `Firestore.getAll` (one per document requested, found or not), `Transaction.get` of a
 *   document (one) or a query (its documents), `Transaction.getAll`, `Query.get` (the documents
 *   returned; Firestore bills a query that returns nothing as one read, counted apart in
 *   `emptyQueries`), and each snapshot a `DocumentReference.onSnapshot` listener delivers.
 * - writes: every set / create / update / delete in a batch or transaction that committed
 *   (`DocumentReference` writes and `CollectionReference.add` are one-write batches inside
 *   the SDK). Writes of a failed commit (a create that found the document) are not counted.
 *
 * Counts are kept per Firestore client, so a second client can change data meanwhile
 * without being counted.
 */
import {
  DocumentReference,
  Firestore,
  Query,
  Transaction,
  WriteBatch,
} from 'firebase-admin/firestore';

export interface OpCount {
  reads: number;
  writes: number;
  /** Queries that returned no document (billed as one read each, not in `reads`). */
  emptyQueries: number;
}

type Method = (this: object, ...args: unknown[]) => unknown;

const totals = new WeakMap<object, OpCount>();
const pending = new WeakMap<object, number>();
let installed = false;

/** The Firestore client an SDK object belongs to (every one keeps it in `_firestore`). */
function clientOf(self: object): object | undefined {
  if (self instanceof Firestore) return self;
  const client = (self as { _firestore?: unknown })._firestore;
  return typeof client === 'object' && client !== null ? client : undefined;
}

function add(self: object, field: keyof OpCount, n: number): void {
  const client = clientOf(self);
  if (!client) return;
  const count = totals.get(client) ?? { reads: 0, writes: 0, emptyQueries: 0 };
  count[field] += n;
  totals.set(client, count);
}

function method(proto: object, name: string): Method {
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== 'function') {
    throw new Error(`firebase-admin has no ${name}() to count: its internals changed.`);
  }
  return original as Method;
}

/** Replaces `proto[name]` with a wrapper that sees the arguments and the resolved result. */
function wrapAsync(proto: object, name: string, seen: (result: unknown, self: object) => void) {
  const original = method(proto, name);
  (proto as Record<string, unknown>)[name] = function (this: object, ...args: unknown[]) {
    const result = original.apply(this, args) as Promise<unknown>;
    return result.then((value) => {
      seen(value, this);
      return value;
    });
  };
}

/** Documents a get delivered: a query's documents, else one. */
function documentsIn(result: unknown): number {
  const docs = (result as { docs?: unknown } | null)?.docs;
  return Array.isArray(docs) ? docs.length : 1;
}

function countQuery(result: unknown, self: object): void {
  const n = documentsIn(result);
  add(self, 'reads', n);
  if (n === 0) add(self, 'emptyQueries', 1);
}

/** Installs the counting wrappers (once per process). */
export function installCounter(): void {
  if (installed) return;
  installed = true;
  const countArray = (result: unknown, self: object) => {
    add(self, 'reads', Array.isArray(result) ? result.length : 0);
  };
  wrapAsync(Firestore.prototype, 'getAll', countArray);
  wrapAsync(Transaction.prototype, 'getAll', countArray);
  wrapAsync(Transaction.prototype, 'get', countQuery);
  wrapAsync(Query.prototype, 'get', countQuery);
  for (const name of ['set', 'create', 'update', 'delete']) {
    const original = method(WriteBatch.prototype, name);
    (WriteBatch.prototype as unknown as Record<string, unknown>)[name] = function (
      this: object,
      ...args: unknown[]
    ) {
      pending.set(this, (pending.get(this) ?? 0) + 1);
      return original.apply(this, args);
    };
  }
  // A transaction retried after contention reuses its batch: what a failed commit held is dropped.
  const commit = method(WriteBatch.prototype, '_commit');
  (WriteBatch.prototype as unknown as Record<string, unknown>)._commit = async function (
    this: object,
    ...args: unknown[]
  ) {
    try {
      const result = await commit.apply(this, args);
      add(this, 'writes', pending.get(this) ?? 0);
      return result;
    } finally {
      pending.delete(this);
    }
  };
  const reset = method(WriteBatch.prototype, '_reset');
  (WriteBatch.prototype as unknown as Record<string, unknown>)._reset = function (
    this: object,
    ...args: unknown[]
  ) {
    pending.delete(this);
    return reset.apply(this, args);
  };
  const onSnapshot = method(DocumentReference.prototype, 'onSnapshot');
  (DocumentReference.prototype as unknown as Record<string, unknown>).onSnapshot = function (
    this: object,
    onNext: (snapshot: unknown) => void,
    ...rest: unknown[]
  ) {
    const counted = (snapshot: unknown) => {
      add(this, 'reads', 1);
      onNext(snapshot);
    };
    return onSnapshot.call(this, counted, ...rest);
  };
}

/** Runs `work` and returns what it cost on `client` (concurrent work on that client counts too). */
export async function counted<T>(
  client: Firestore,
  work: () => Promise<T>,
): Promise<{ result: T; count: OpCount }> {
  if (!installed) throw new Error('installCounter() first');
  const before = { ...(totals.get(client) ?? { reads: 0, writes: 0, emptyQueries: 0 }) };
  const result = await work();
  const after = totals.get(client) ?? before;
  return {
    result,
    count: {
      reads: after.reads - before.reads,
      writes: after.writes - before.writes,
      emptyQueries: after.emptyQueries - before.emptyQueries,
    },
  };
}
