/**
 * The floor: the least a ring path can do on this stack. One query of the extension's devices
 * and one create of the call, at once (neither needs the other), then one push per device, all
 * at once (FCM over HTTP/1.1 fetch, APNs over one HTTP/2 session with the team's one provider
 * token). No authentication, validation, rate limit, retry or bookkeeping: nothing callwake
 * could drop and still be a push gateway is here.
 */
import { readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { defineSecret, defineString } from 'firebase-functions/params';
import { onRequest } from 'firebase-functions/v2/https';
import { ApnsProviderToken } from '../../functions/push/apnsProviderToken';
import { adminDb, projectId, required } from './env';

const APNS_KEY = defineSecret('APNS_KEY');
const APNS_KEY_ID = defineString('APNS_KEY_ID');
const APNS_TEAM_ID = defineString('APNS_TEAM_ID');

interface DeviceDoc {
  deviceId: string;
  platform: 'android' | 'ios';
  fcmToken?: string;
  voipToken?: string;
  appId?: string;
}

let session: ClientHttp2Session | undefined;
let jwt: Promise<string> | undefined;

function apnsSession(): ClientHttp2Session {
  if (session && !session.destroyed && !session.closed) return session;
  const ca = readFileSync(required('CALLWAKE_APNS_CA_FILE'), 'utf8');
  session = connect(required('CALLWAKE_APNS_PRODUCTION_ORIGIN'), { ca });
  session.on('error', () => {
    session = undefined;
  });
  return session;
}

/**
 * Apple takes one new provider token per team every 20 minutes (TooManyProviderTokenUpdates): a floor
 * signing its own would be refused once callwake has presented this window's. So it presents
 * the same deterministic token as callwake (functions/push/apnsProviderToken.ts), made once.
 */
function providerToken(): Promise<string> {
  jwt ??= new ApnsProviderToken({
    key: APNS_KEY.value().replace(/\\n/g, '\n'),
    keyId: APNS_KEY_ID.value(),
    teamId: APNS_TEAM_ID.value(),
  })
    .current()
    .then((token) => token.jwt);
  return jwt;
}

async function pushApns(device: DeviceDoc, payload: Record<string, string>): Promise<number> {
  const token = await providerToken();
  return new Promise((resolve, reject) => {
    const stream = apnsSession().request({
      ':method': 'POST',
      ':path': `/3/device/${device.voipToken ?? ''}`,
      authorization: `bearer ${token}`,
      'apns-push-type': 'voip',
      'apns-topic': `${device.appId ?? ''}.voip`,
      'apns-priority': '10',
    });
    stream.on('response', (headers) => {
      resolve(Number(headers[':status']));
    });
    stream.on('error', reject);
    stream.resume();
    stream.end(JSON.stringify(payload));
  });
}

async function pushFcm(token: string, payload: Record<string, string>): Promise<number> {
  const origin = required('CALLWAKE_FCM_ORIGIN');
  const res = await fetch(`${origin}/v1/projects/${projectId()}/messages:send`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${required('CALLWAKE_FCM_ACCESS_TOKEN')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      message: { token, data: payload, android: { priority: 'high', ttl: '30s' } },
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** POST {tenant, call_id, to, from, from_name}: the PBX's incoming call, nothing checked. */
export const floor = onRequest({ secrets: [APNS_KEY] }, async (req, res) => {
  const body = req.body as Record<string, string>;
  const tenant = body.tenant ?? '';
  const db = adminDb('floor');
  // The create does not depend on the query: any correct gateway runs them at once.
  const [devices] = await Promise.all([
    db.collection(`tenants/${tenant}/devices`).where('extension', '==', body.to).get(),
    // Its own collection: callwake's call trigger must not run on the floor's writes.
    db.doc(`tenants/${tenant}/floorCalls/${body.call_id ?? ''}`).create({
      extension: body.to,
      status: 'ringing',
      createdAt: Date.now(),
    }),
  ]);
  const payload = {
    type: 'incoming_call',
    call_id: body.call_id ?? '',
    caller_number: body.from ?? '',
    caller_name: body.from_name ?? '',
    extension: body.to ?? '',
  };
  const statuses = await Promise.all(
    devices.docs.map((doc) => {
      const device = doc.data() as DeviceDoc;
      return device.platform === 'ios' && device.voipToken
        ? pushApns(device, payload)
        : pushFcm(device.fcmToken ?? '', payload);
    }),
  );
  res.status(201).json({ pushed: statuses.filter((s) => s === 200).length });
});
