/**
 * The bench's side of the peers in bench/peers/ (served beside callwake by the emulator through
 * firebase.bench.json): their requests, and the seeds' per-user token documents.
 */
import { PROJECT_ID } from '../test/support/emulator';
import { fcmToken } from '../test/support/ids';
import { adminClient, type TestTenant } from './fixtures';

const origin = `http://127.0.0.1:5001/${PROJECT_ID}/us-central1`;

export interface PeerReply {
  status: number;
  fields: Record<string, unknown>;
  text: string;
}

async function post(fn: string, form: Record<string, string>): Promise<PeerReply> {
  const res = await fetch(`${origin}/${fn}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let fields: Record<string, unknown> = {};
  try {
    fields = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // An emulator error page: the caller reports `text`.
  }
  return { status: res.status, fields, text };
}

/** The floor's incoming call: the same form as callwake's, plus the tenant (no auth there). */
export const postFloor = (tenant: TestTenant, callId: string, to: string) =>
  post('floor', { tenant: tenant.id, call_id: callId, to, from: '5551234', from_name: 'Bench' });

/** The seeds' incoming call for a ring group of `users`. */
export const postSeeds = (callId: string, users: string[]) =>
  post('seedRing', {
    call_id: callId,
    users: users.join(','),
    caller_name: 'Bench',
    caller_number: '5551234',
  });

/** What the seeds' PBX polls. */
export async function seedStatus(callId: string): Promise<string> {
  const res = await fetch(`${origin}/seedStatus?call_id=${encodeURIComponent(callId)}`);
  return String(((await res.json()) as { status?: unknown }).status);
}

/** The app's accept in the seeds' world: the call's status document. */
export async function acceptSeedCall(callId: string): Promise<void> {
  await adminClient('bench-fixtures')
    .doc(`seed_calls/${callId}`)
    .set({ status: 'accepted' }, { merge: true });
}

/**
 * `count` ring groups of `size` users each (`${prefix}${i}u${j}`), one Android FCM token per
 * user in `push_tokens/{user}` as the seeds keep them. Returns the groups.
 */
export async function registerSeedGroups(
  prefix: string,
  count: number,
  size: number,
): Promise<string[][]> {
  const db = adminClient('bench-fixtures');
  const groups = Array.from({ length: count }, (_, i) =>
    Array.from({ length: size }, (_, j) => `${prefix}${i}u${j}`),
  );
  const batch = db.batch();
  for (const user of groups.flat()) {
    batch.set(db.doc(`push_tokens/${user}`), {
      token: fcmToken(),
      platform: 'android',
      registered_at: new Date(),
    });
  }
  await batch.commit();
  return groups;
}
