import assert from 'node:assert/strict';
import { createECDH, generateKeyPairSync } from 'node:crypto';
import { parseVapidKey } from '../../../functions/push/vapidKey';

describe('the VAPID_KEY secret', () => {
  it('reads a PEM key (PKCS #8 or SEC 1) into the raw keys web-push takes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    ]).toString('base64url');
    for (const type of ['pkcs8', 'sec1'] as const) {
      const keys = parseVapidKey(privateKey.export({ type, format: 'pem' }).toString());
      assert.equal(keys.publicKey, point);
      assert.equal(Buffer.from(keys.privateKey, 'base64url').length, 32);
    }
    // As a one-line .env value holds it.
    const oneLine = privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString()
      .replace(/\n/g, '\\n');
    assert.equal(parseVapidKey(oneLine).publicKey, point);
  });

  it('reads the JSON of `web-push generate-vapid-keys --json`, and refuses halves that do not match', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const json = {
      publicKey: ecdh.getPublicKey().toString('base64url'),
      privateKey: ecdh.getPrivateKey().toString('base64url'),
    };
    assert.deepEqual(parseVapidKey(JSON.stringify(json)), json);
    const other = createECDH('prime256v1');
    other.generateKeys();
    assert.throws(
      () =>
        parseVapidKey(
          JSON.stringify({ ...json, publicKey: other.getPublicKey().toString('base64url') }),
        ),
      /does not belong/,
    );
  });

  it('refuses anything else without quoting it', () => {
    for (const secret of ['', 'not a key', '{"publicKey":1}', '{broken']) {
      assert.throws(
        () => parseVapidKey(secret),
        (err: Error) => !err.message.includes(secret) || secret === '',
      );
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    assert.throws(() => parseVapidKey(rsa), /P-256/);
  });
});
