import assert from 'node:assert/strict';
import { renderBody, toHashcompat, wantsJson } from '../../../functions/http/negotiate';

/** Reads `k=v&k2=v2` the way Asterisk's hashcompat does: split on &, then on the first =, then URI-decode. */
function parseHashcompat(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const piece of text.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    fields[decodeURIComponent(piece.slice(0, eq))] = decodeURIComponent(piece.slice(eq + 1));
  }
  return fields;
}

describe('wantsJson', () => {
  it('is true when Accept names JSON or a +json type', () => {
    for (const accept of [
      'application/json',
      'Application/JSON',
      'text/html, application/json;q=0.9',
      'application/problem+json',
      'application/vnd.callwake.v1+json',
    ]) {
      assert.equal(wantsJson(accept), true, accept);
    }
  });

  it('is false without Accept, for */* and for other types', () => {
    for (const accept of [
      undefined,
      '',
      '*/*',
      'text/plain',
      'application/x-www-form-urlencoded',
      'text/json',
    ]) {
      assert.equal(wantsJson(accept), false, String(accept));
    }
  });
});

describe('toHashcompat', () => {
  it('joins top-level fields as k=v pairs in order', () => {
    assert.equal(
      toHashcompat({ status: 'ringing', devices: 2, pushed: 1, duplicate: false }),
      'status=ringing&devices=2&pushed=1&duplicate=false',
    );
  });

  it('flattens nested objects and arrays with dotted keys', () => {
    assert.equal(
      toHashcompat({
        extension: '100',
        count: 2,
        devices: [
          { device_id: 'a', platform: 'ios' },
          { device_id: 'b', platform: 'android' },
        ],
        details: { to: 'is required' },
      }),
      'extension=100&count=2&devices.0.device_id=a&devices.0.platform=ios&' +
        'devices.1.device_id=b&devices.1.platform=android&details.to=is%20required',
    );
  });

  it('writes null as an empty value, leaves undefined out, and nothing for empty containers', () => {
    assert.equal(toHashcompat({ a: null, b: undefined, c: 'x', d: [], e: {} }), 'a=&c=x');
  });

  it("percent-encodes spaces as %20 (not '+') and escapes '&', '=' and non-ASCII", () => {
    const text = toHashcompat({ message: 'a b&c=d+e', 'we&ird=key': 'Zoë' });
    assert.equal(text, 'message=a%20b%26c%3Dd%2Be&we%26ird%3Dkey=Zo%C3%AB');
    assert.equal(text.includes('+'), false);
  });

  it('round-trips through a hashcompat parser', () => {
    const body = {
      error: 'invalid_argument',
      message: 'to: is required; ring_timeout: must be at most 120 seconds',
      details: { to: 'is required', ring_timeout: 'must be at most 120 seconds' },
      caller: 'Zoë & Bob = 100%',
      list: ['x y', null, 3],
    };
    assert.deepEqual(parseHashcompat(toHashcompat(body)), {
      error: 'invalid_argument',
      message: 'to: is required; ring_timeout: must be at most 120 seconds',
      'details.to': 'is required',
      'details.ring_timeout': 'must be at most 120 seconds',
      caller: 'Zoë & Bob = 100%',
      'list.0': 'x y',
      'list.1': '',
      'list.2': '3',
    });
  });
});

describe('renderBody', () => {
  const body = { status: 'ok', n: 1 };

  it('renders JSON when asked', () => {
    assert.deepEqual(renderBody(body, 'application/json'), {
      contentType: 'application/json; charset=utf-8',
      text: '{"status":"ok","n":1}',
    });
  });

  it('renders hashcompat otherwise', () => {
    assert.deepEqual(renderBody(body, undefined), {
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      text: 'status=ok&n=1',
    });
  });
});
