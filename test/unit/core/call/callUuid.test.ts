import assert from 'node:assert/strict';
import { CALL_UUID_NAMESPACE, callUuid, uuidV5 } from '../../../../functions/core/call/callUuid';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV5', () => {
  it('matches the well-known RFC 4122 v5 vectors', () => {
    assert.equal(uuidV5('www.example.com', DNS_NAMESPACE), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(uuidV5('python.org', DNS_NAMESPACE), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
    assert.equal(
      uuidV5('http://python.org/', URL_NAMESPACE),
      '4c565f0d-3f5a-5890-b41b-20cf47701c5e',
    );
  });

  it('accepts the namespace in upper case like any UUID parser', () => {
    assert.equal(
      uuidV5('www.example.com', DNS_NAMESPACE.toUpperCase()),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('hashes the name as UTF-8', () => {
    const id = uuidV5('Zoë ☎', DNS_NAMESPACE);
    assert.match(id, UUID_SHAPE);
    assert.notEqual(id, uuidV5('Zoe ☎', DNS_NAMESPACE));
  });
});

describe('callUuid', () => {
  it('is a lower-case version-5 UUID with the RFC 4122 variant', () => {
    for (const callId of ['1700000000.42', 'abc@pbx.example.com', 'x'.repeat(256)]) {
      const id = callUuid('acme', callId);
      assert.match(id, UUID_SHAPE);
      const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
      assert.equal(bytes.length, 16);
      assert.equal(bytes[6]! >> 4, 5, 'version nibble');
      assert.equal(bytes[8]! >> 6, 0b10, 'variant bits');
    }
  });

  it('is the v5 UUID of tenant NUL call id in the callwake namespace', () => {
    assert.equal(callUuid('acme', 'call-1'), uuidV5('acme\u0000call-1', CALL_UUID_NAMESPACE));
    // Stable across releases: calls stored before an upgrade keep their ids and collapse keys.
    assert.equal(callUuid('acme', '1700000000.42'), '0a31c44c-257d-5130-a104-b9cdc04c9233');
  });

  it('is deterministic, so the push, CallKit and a later cancel agree without storage', () => {
    assert.equal(callUuid('acme', 'call-1'), callUuid('acme', 'call-1'));
  });

  it('differs between tenants for the same PBX call id, and between call ids', () => {
    assert.notEqual(callUuid('acme', 'call-1'), callUuid('globex', 'call-1'));
    assert.notEqual(callUuid('acme', 'call-1'), callUuid('acme', 'call-2'));
  });

  it('does not confuse a tenant/call-id split that concatenates to the same text', () => {
    assert.notEqual(callUuid('ab', 'c'), callUuid('a', 'bc'));
  });
});
