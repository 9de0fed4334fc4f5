/**
 * The seeds' design, written as a user of the seed guides would (shared/seeds/: "FCM service"
 * and "Send VoIP Push Notifications"): one FCM token per user in Firestore (`push_tokens/{user}`),
 * firebase-admin `messaging().send()` with a notification + data message; the PBX learns the
 * outcome by polling a status route. Two peers: the seeds' code as it stands (the users of a call
 * one after another, `seedRingNaive`) and the same design written competently (`getAll` and
 * `sendEach`, `seedRingCompetent`); every "× faster than the seeds" figure is against the latter.
 *
 * firebase-admin sends only to https://fcm.googleapis.com. To reach the same fake FCM as
 * callwake, the app's `httpAgent` (AppOptions, honoured by its HTTP client for every request)
 * opens a plain TCP connection to the fake instead: the requests, headers and bodies are the
 * SDK's own, byte for byte, only without TLS.
 */
import { Agent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { onRequest } from 'firebase-functions/v2/https';
import { adminApp, adminDb, required } from './env';
import type { App } from 'firebase-admin/app';
import type { Firestore } from 'firebase-admin/firestore';

class FakeFcmAgent extends Agent {
  constructor(private readonly target: URL) {
    super({ keepAlive: true });
  }

  override createConnection(): Socket {
    return connect(Number(this.target.port), this.target.hostname);
  }
}

let seeds: App | undefined;

/**
 * Firestore through an app with the default credentials (firebase-admin refuses a custom
 * credential for Firestore), messaging through one whose credential the fake FCM accepts.
 */
function seedsApp() {
  seeds ??= adminApp('seeds-messaging', {
    credential: {
      // The emulator has no Google OAuth; the fake FCM takes this token.
      getAccessToken: () =>
        Promise.resolve({
          access_token: required('CALLWAKE_FCM_ACCESS_TOKEN'),
          expires_in: 3600,
        }),
    },
    httpAgent: new FakeFcmAgent(new URL(required('CALLWAKE_FCM_ORIGIN'))),
  });
  return { app: seeds, db: adminDb('seeds') };
}

/** The seed guide's `value || fallback`: an empty field counts as missing. */
const or = (value: string | undefined, fallback: string) =>
  value === undefined || value === '' ? fallback : value;

/** The seed guide's message for one user (shared/seeds, "sendCallNotification"). */
function seedMessage(token: string, body: Record<string, string>, extension: string): Message {
  const title = `Incoming call from ${or(body.caller_name, body.caller_number ?? '')}`;
  return {
    token,
    data: {
      type: 'incoming_call',
      call_id: body.call_id ?? '',
      caller_name: or(body.caller_name, 'Unknown Caller'),
      caller_number: or(body.caller_number, 'Unknown'),
      extension,
    },
    android: {
      priority: 'high',
      notification: {
        title,
        body: 'Touch to answer',
        icon: 'call_icon',
        sound: 'default',
        priority: 'high',
        channelId: 'incoming_calls',
      },
    },
    apns: {
      payload: {
        aps: {
          alert: { title, body: 'Touch to answer' },
          sound: 'default',
          contentAvailable: true,
          mutableContent: true,
        },
      },
    },
  };
}

/** The users' token documents: `push_tokens`, or one tenant's (the bench gives each scenario one). */
const tokenDocs = (db: Firestore, tenant: string | undefined) =>
  db.collection(tenant ? `tenants/${tenant}/push_tokens` : 'push_tokens');

const usersOf = (body: Record<string, string>) => (body.users ?? '').split(',');

/**
 * The naive peer, the seeds' code as it stands: POST {call_id, users, caller_name,
 * caller_number, tenant?}: `users` is a comma-separated list (a ring group: the seeds know one
 * token per user, so ten phones are ten users), read and sent one user after another.
 */
export const seedRingNaive = onRequest(async (req, res) => {
  const body = req.body as Record<string, string>;
  const { app, db } = seedsApp();
  const messaging = getMessaging(app);
  await db
    .doc(`seed_calls/${body.call_id ?? ''}`)
    .set({ status: 'ringing', createdAt: Date.now() });
  let sent = 0;
  for (const user of usersOf(body)) {
    const doc = await tokenDocs(db, body.tenant).doc(user).get();
    const token = doc.get('token') as string | undefined;
    if (!token) continue;
    try {
      await messaging.send(seedMessage(token, body, user));
      sent += 1;
    } catch (error) {
      console.error('Error sending FCM notification:', (error as Error).message);
    }
  }
  res.json({ success: true, sent });
});

/**
 * The competent peer: the seeds' design (one token per user, the same message, a status
 * document the PBX polls) as a competent engineer writes it for a ring group. The status write
 * and one `getAll` of the users' token documents at once, then firebase-admin's `sendEach`,
 * which sends every message at once: it maps the messages to one request each and awaits them
 * with `Promise.allSettled` (firebase-admin 14.5.1, lib/messaging/messaging.js, `sendEach`).
 * Its default HTTP/2 transport opens its own session to https://fcm.googleapis.com, which no
 * `httpAgent` redirects; the legacy HTTP/1.1 transport sends through the app's HTTP client, which
 * takes the app's `httpAgent` (lib/utils/api-request.js, `AuthorizedHttpClient`), so this peer
 * reaches the fake FCM with the SDK's own requests, still all at once.
 */
export const seedRingCompetent = onRequest(async (req, res) => {
  const body = req.body as Record<string, string>;
  const { app, db } = seedsApp();
  const messaging = getMessaging(app);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the transport that takes httpAgent
  messaging.enableLegacyHttpTransport();
  const users = usersOf(body);
  const tokens = tokenDocs(db, body.tenant);
  const [, docs] = await Promise.all([
    db.doc(`seed_calls/${body.call_id ?? ''}`).set({ status: 'ringing', createdAt: Date.now() }),
    db.getAll(...users.map((user) => tokens.doc(user))),
  ]);
  const messages = docs.flatMap((doc) => {
    const token = doc.get('token') as string | undefined;
    return token ? [seedMessage(token, body, doc.id)] : [];
  });
  const sent = messages.length ? (await messaging.sendEach(messages)).successCount : 0;
  res.json({ success: true, sent });
});
/** GET ?call_id=: what the PBX polls once a second. */
export const seedStatus = onRequest(async (req, res) => {
  const { db } = seedsApp();
  const doc = await db
    .doc(`seed_calls/${typeof req.query.call_id === 'string' ? req.query.call_id : ''}`)
    .get();
  res.json({ status: (doc.get('status') as string | undefined) ?? 'unknown' });
});
