import crypto from 'node:crypto';
import type { ApnsEnv, RenderedPush } from '../../../functions/core/push';

export const KEY_ID = 'ABC123DEFG';
export const TEAM_ID = 'TEAM123456';
export const TOPIC = 'com.example.softphone.voip';

/** A fresh .p8-style signing key pair (PKCS #8 / SPKI PEM, P-256). */
export function es256Key(): { privateKey: string; publicKey: string } {
  return crypto.generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

/** A device token as APNs issues them: 32 random bytes, hex. */
export const newDeviceToken = (): string => crypto.randomBytes(32).toString('hex');

/** A VoIP push rendered the way the core renders one. */
export function renderVoip(
  token: string,
  headers: Record<string, string> = {},
  apnsEnv: ApnsEnv = 'production',
): RenderedPush {
  return {
    provider: 'apns',
    url: `https://api.push.apple.com/3/device/${token}`,
    method: 'POST',
    headers: {
      'apns-push-type': 'voip',
      'apns-topic': TOPIC,
      'apns-priority': '10',
      'apns-expiration': '0',
      ...headers,
    },
    body: {
      aps: {},
      type: 'incoming_call',
      callId: 'call-1',
      caller: { number: '+3225550100', name: 'Désirée' },
    },
    token,
    apnsEnv,
  };
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
