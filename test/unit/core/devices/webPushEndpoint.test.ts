import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  endpointRefusal,
  isPublicAddress,
  needsResolving,
} from '../../../../functions/core/devices/webPushEndpoint';

describe('where a Web Push endpoint may point', () => {
  it('takes the push services browsers use', () => {
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/dXk3:APA91bE',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk',
      'https://web.push.apple.com/QGuQyavXutnMH',
      'https://wns2-par02p.notify.windows.com/w/?token=BQYAAA',
      'https://8.8.8.8/x',
      'https://[2606:4700::1111]/x',
    ]) {
      assert.equal(endpointRefusal(endpoint), null, endpoint);
    }
  });

  it('refuses loopback, private, link-local, reserved and metadata addresses, however written', () => {
    for (const endpoint of [
      'https://127.0.0.1/x',
      'https://127.8.9.10/x',
      'https://0.0.0.0/x',
      'https://10.0.0.1/x',
      'https://100.64.1.1/x',
      'https://172.16.5.4/x',
      'https://172.31.255.255/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://224.0.0.1/x',
      'https://255.255.255.255/x',
      'https://2130706433/x', // 127.0.0.1 as one number: the URL parser makes it an IPv4
      'https://0x7f.1/x',
      'https://[::1]/x',
      'https://[::]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::ffff:a9fe:a9fe]/x',
      'https://[64:ff9b::10.0.0.1]/x',
      'https://[2002:c0a8:101::1]/x', // 6to4 around 192.168.1.1
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
      'https://[fec0::1]/x',
      'https://[64:ff9b:1::a00:1]/x',
      'https://[3fff::1]/x',
      'https://[5f00::1]/x',
    ]) {
      assert.equal(
        endpointRefusal(endpoint),
        'points to a private, loopback or reserved address',
        endpoint,
      );
    }
  });

  it('judges an IPv6 address that carries an IPv4 one by that IPv4 address, however written', () => {
    // NAT64 (64:ff9b::/96), 6to4 (2002::/16) and IPv4-compatible forms of a public address reach
    // the public internet; of a private one, the private network.
    for (const host of [
      '64:ff9b::808:808',
      '64:ff9b::8.8.8.8',
      '64:FF9B::808:808',
      '2002:808:808::1',
      '::8.8.8.8',
      '::808:808',
    ]) {
      assert.equal(isPublicAddress(host), true, host);
      assert.equal(endpointRefusal(`https://[${host}]/x`), null, host);
    }
    for (const host of [
      '64:ff9b::a00:1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      '::10.0.0.1',
      '::a9fe:a9fe',
      '::FFFF:7F00:1',
    ]) {
      assert.equal(isPublicAddress(host), false, host);
    }
  });

  it('takes only the IPv6 global unicast space (2000::/3) beyond those forms', () => {
    // Only 64:ff9b::/96 is NAT64's well-known prefix: 64:1:: and 1:ff9b:: carry no IPv4.
    for (const host of [
      '::1:808:808',
      '1::1',
      '1000::1',
      '4000::1',
      'e000::1',
      'ff02::1',
      '64:1::808:808',
      '1:ff9b::808:808',
      // RFC 8215's local-use 64:ff9b:1::/48 is no well-known NAT64 prefix either.
      '64:ff9b:1::808:808',
    ]) {
      assert.equal(isPublicAddress(host), false, host);
    }
    for (const host of ['2000::1', '2606:4700::1111', '3ffe::1']) {
      assert.equal(isPublicAddress(host), true, host);
    }
  });

  it('refuses local names, other ports and other schemes', () => {
    assert.equal(endpointRefusal('https://localhost/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://db.localhost/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://printer.local/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://metadata.google.internal/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://intranet/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://home.arpa/x'), 'must name a public host');
    assert.equal(endpointRefusal('https://printer/x'), 'must name a public host', 'no dot');
    // Only the last labels count: these are public names, resolved before use.
    assert.equal(endpointRefusal('https://local.example.net/x'), null);
    assert.equal(endpointRefusal('https://lan.push.example.net/x'), null);
    assert.match(endpointRefusal('https://push.example.net:8443/x') ?? '', /port/);
    assert.equal(endpointRefusal('http://push.example.net/x'), 'must be an https URL');
    assert.equal(endpointRefusal('not a url'), 'must be a URL');
  });

  it('takes no host name as a public address, and asks for a name to be resolved', () => {
    assert.equal(isPublicAddress('push.example.net'), false);
    assert.equal(needsResolving('https://push.example.net/x'), true);
    assert.equal(needsResolving('https://[2606:4700::1111]/x'), false);
    assert.equal(needsResolving('https://127.0.0.1:9469/x', ['https://127.0.0.1:9469']), false);
  });

  it('exempts only the named test origin', () => {
    const test = ['https://127.0.0.1:9469'];
    assert.equal(endpointRefusal('https://127.0.0.1:9469/wpush/a', test), null);
    assert.notEqual(endpointRefusal('https://127.0.0.1:9470/wpush/a', test), null);
    assert.notEqual(endpointRefusal('https://127.0.0.1/wpush/a', test), null);
  });

  it('classifies every IPv4 address as private exactly when a special-purpose range holds it (property)', () => {
    const inRange = (a: number, b: number) =>
      a === 0 ||
      a === 10 ||
      a === 127 ||
      a >= 224 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19));
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a = 0, b = 0, c = 0] = ip.split('.').map(Number);
        const special =
          inRange(a, b) ||
          (a === 192 && b === 0 && (c === 0 || c === 2)) ||
          (a === 192 && b === 88 && c === 99) ||
          (a === 198 && b === 51 && c === 100) ||
          (a === 203 && b === 0 && c === 113);
        assert.equal(isPublicAddress(ip), !special, ip);
        assert.equal(isPublicAddress(`::ffff:${ip}`), !special, `mapped ${ip}`);
      }),
      { numRuns: 2000 },
    );
  });
});
