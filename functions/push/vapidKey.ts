import { createECDH, createPrivateKey, type KeyObject } from 'node:crypto';

/** A VAPID key pair as web-push takes it: raw P-256 keys, base64url (65 and 32 bytes). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

const fromJwk = (key: KeyObject): { x: string; y: string; d?: string } => {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('VAPID_KEY is not a P-256 key');
  return { x: jwk.x, y: jwk.y, ...(jwk.d ? { d: jwk.d } : {}) };
};

/** The uncompressed point (0x04 ‖ x ‖ y), base64url: the `applicationServerKey` browsers take. */
const publicPoint = (x: string, y: string) =>
  Buffer.concat([
    Buffer.from([4]),
    Buffer.from(x, 'base64url'),
    Buffer.from(y, 'base64url'),
  ]).toString('base64url');

/**
 * Reads the VAPID_KEY secret: a PEM EC P-256 private key (SEC 1 or PKCS #8, as `openssl ecparam
 * -name prime256v1 -genkey` writes it), or the JSON `npx web-push generate-vapid-keys --json`
 * prints (`{"publicKey": ..., "privateKey": ...}`), whose halves must match. Throws, naming no key
 * material, when it is neither.
 */
export function parseVapidKey(secret: string): VapidKeys {
  const text = secret.trim().replace(/\\n/g, '\n');
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('VAPID_KEY is JSON that does not parse');
    }
    const { publicKey, privateKey } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof publicKey !== 'string' || typeof privateKey !== 'string') {
      throw new Error('VAPID_KEY JSON needs publicKey and privateKey');
    }
    const d = Buffer.from(privateKey, 'base64url');
    const point = Buffer.from(publicKey, 'base64url');
    if (d.length !== 32 || point.length !== 65) throw new Error('VAPID_KEY keys have wrong sizes');
    // The public key is computed from the private one: a JWK import would take any x and y.
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(d);
    } catch {
      throw new Error('VAPID_KEY privateKey is not a P-256 key');
    }
    if (!ecdh.getPublicKey().equals(point)) {
      throw new Error('VAPID_KEY publicKey does not belong to its privateKey');
    }
    return { publicKey: point.toString('base64url'), privateKey: d.toString('base64url') };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new Error('VAPID_KEY is neither a PEM private key nor web-push JSON');
  }
  const { x, y, d } = fromJwk(key);
  if (!d) throw new Error('VAPID_KEY holds no private key');
  return { publicKey: publicPoint(x, y), privateKey: d };
}
