import { randomInt } from 'node:crypto';
import {
  canonicalRequest,
  signRequest,
  type SignatureAlg,
} from '../../functions/core/access/pbxSignature';

export interface Signer {
  signingKeyId: string;
  signingSecret: string;
}

/**
 * The Authorization header of a signed PBX request, as the Asterisk include (sha1) or the
 * Kamailio config (sha256) makes it: HTTP Basic, the signing key id as user,
 * `v1.<alg>.<ts>.<nonce>.<sig>` as password.
 */
export function signedAuthorization(
  signer: Signer,
  method: string,
  target: string,
  body = '',
  options: { alg?: SignatureAlg; ts?: number; nonce?: string } = {},
): string {
  const alg = options.alg ?? 'sha1';
  const ts = options.ts ?? Math.floor(Date.now() / 1000);
  const nonce = options.nonce ?? String(randomInt(100_000_000, 999_999_999));
  const sig = signRequest(
    signer.signingSecret,
    alg,
    canonicalRequest(method, target, { ts, nonce }, body),
  );
  const password = `v1.${alg}.${ts}.${nonce}.${sig}`;
  return `Basic ${Buffer.from(`${signer.signingKeyId}:${password}`).toString('base64')}`;
}
