import crypto from 'node:crypto';
import { renderVoipPush } from '../../support/apnsPushes';

export const KEY_ID = 'ABC123DEFG';
export const TEAM_ID = 'TEAM123456';

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
export const renderVoip = renderVoipPush;

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}
