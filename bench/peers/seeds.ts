/**
 * The seeds' design, written as a user of the seed guides would (shared/seeds/: "FCM service"
 * and "Send VoIP Push Notifications"): one FCM token per user in Firestore (`push_tokens/{user}`),
 * firebase-admin `messaging().send()` with a notification + data message, the users of a call
 * one after another; the PBX learns the outcome by polling a status route.
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

/**
 * POST {call_id, users, caller_name, caller_number}: `users` is a comma-separated list (a ring
 * group: the seeds know one token per user, so ten phones are ten users).
 */
export const seedRing = onRequest(async (req, res) => {
  const body = req.body as Record<string, string>;
  const { app, db } = seedsApp();
  const messaging = getMessaging(app);
  await db
    .doc(`seed_calls/${body.call_id ?? ''}`)
    .set({ status: 'ringing', createdAt: Date.now() });
  let sent = 0;
  for (const user of (body.users ?? '').split(',')) {
    const doc = await db.collection('push_tokens').doc(user).get();
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

/** GET ?call_id=: what the PBX polls once a second. */
export const seedStatus = onRequest(async (req, res) => {
  const { db } = seedsApp();
  const doc = await db
    .doc(`seed_calls/${typeof req.query.call_id === 'string' ? req.query.call_id : ''}`)
    .get();
  res.json({ status: (doc.get('status') as string | undefined) ?? 'unknown' });
});
