import { DocumentReference, Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';
import { PROJECT_ID, db } from './emulator';

type Value = Record<string, unknown>;

/** A Firestore value in the REST (JSON) encoding, for the types the tests' documents hold. */
function encode(value: unknown): Value {
  if (value === null || value === undefined) return { nullValue: null };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { integerValue: String(value) } : { doubleValue: value };
  }
  if (value instanceof Timestamp) {
    return { timestampValue: { seconds: value.seconds, nanos: value.nanoseconds } };
  }
  if (value instanceof Date) return encode(Timestamp.fromDate(value));
  if (value instanceof DocumentReference) {
    return { referenceValue: `projects/${PROJECT_ID}/databases/(default)/documents/${value.path}` };
  }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encode) } };
  if (typeof value === 'object') return { mapValue: { fields: encodeFields(value as Value) } };
  throw new Error(`documentSnapshot: cannot encode ${typeof value}`);
}

const encodeFields = (data: Value): Record<string, Value> =>
  Object.fromEntries(Object.entries(data).map(([key, v]) => [key, encode(v)]));

/**
 * A DocumentSnapshot of `data` at `path`, as a trigger receives it (`{}`: the document does not
 * exist). firebase-functions-test's makeDocumentSnapshot does the same through firebase-admin's
 * namespaced `admin.firestore()`, which firebase-admin 14 no longer has; this goes through the
 * modular client, with the same Firestore call (`snapshot_`, which builds a snapshot from its
 * REST encoding).
 */
export function documentSnapshot(data: Value, path: string): DocumentSnapshot {
  const now = Timestamp.now();
  const time = { seconds: now.seconds, nanos: now.nanoseconds };
  const name = `projects/${PROJECT_ID}/databases/(default)/documents/${path}`;
  const proto =
    Object.keys(data).length === 0
      ? name
      : { fields: encodeFields(data), createTime: time, updateTime: time, name };
  const firestore = db() as unknown as {
    snapshot_(proto: unknown, readTime: unknown, encoding: 'json'): DocumentSnapshot;
  };
  return firestore.snapshot_(proto, time, 'json');
}
