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

/** The seeds' two peers (bench/peers/seeds.ts): their code as it stands, and done competently. */
export type SeedsPeer = 'naive' | 'competent';

/** The seeds' incoming call for a ring group of `users`, their tokens in `tenant`'s collection. */
export const postSeeds = (
  callId: string,
  users: string[],
  peer: SeedsPeer = 'competent',
  tenant?: string,
) =>
  post(peer === 'naive' ? 'seedRingNaive' : 'seedRingCompetent', {
    call_id: callId,
    users: users.join(','),
    caller_name: 'Bench',
    caller_number: '5551234',
    ...(tenant ? { tenant } : {}),
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
 * user in `push_tokens/{user}` as the seeds keep them (or in `tenants/{tenant}/push_tokens`),
 * plus filler users up to `total` documents in that collection. Returns the groups.
 */
export async function registerSeedGroups(
  prefix: string,
  count: number,
  size: number,
  tenant?: string,
  total = 0,
): Promise<string[][]> {
  const db = adminClient('bench-fixtures');
  const col = db.collection(tenant ? `tenants/${tenant}/push_tokens` : 'push_tokens');
  const groups = Array.from({ length: count }, (_, i) =>
    Array.from({ length: size }, (_, j) => `${prefix}${i}u${j}`),
  );
  const users = groups.flat();
  const filler = Array.from(
    { length: Math.max(0, total - users.length) },
    (_, k) => `${prefix}fill${k}`,
  );
  const all = [...users, ...filler];
  for (let from = 0; from < all.length; from += 400) {
    const batch = db.batch();
    for (const user of all.slice(from, from + 400)) {
      batch.set(col.doc(user), {
        token: fcmToken(),
        platform: 'android',
        registered_at: new Date(),
      });
    }
    await batch.commit();
  }
  return groups;
}
