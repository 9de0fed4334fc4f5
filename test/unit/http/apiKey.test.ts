import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import { extractApiKey, requireTenant } from '../../../functions/http/apiKey';
import { apiRequest, fakeApiContext } from '../../support/fakes';

const basic = (userpwd: string) => `Basic ${Buffer.from(userpwd, 'utf8').toString('base64')}`;
const key = (headers: Record<string, string>, query = '') =>
  extractApiKey(apiRequest('POST', '/v1/calls', { headers, query }));

function isUnauthenticated(message: string) {
  return (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'unauthenticated');
    assert.equal(err.status, 401);
    assert.equal(err.message, message);
    return true;
  };
}

describe('extractApiKey', () => {
  it('reads Authorization: Bearer, with any case of the scheme', () => {
    assert.equal(key({ Authorization: 'Bearer k-123' }), 'k-123');
    assert.equal(key({ Authorization: 'bearer   k-123 ' }), 'k-123');
  });

  it('reads X-Api-Key, trimmed, before Authorization', () => {
    assert.equal(key({ 'X-Api-Key': ' k-456 ' }), 'k-456');
    assert.equal(key({ 'X-Api-Key': 'k-456', Authorization: 'Bearer k-123' }), 'k-456');
  });

  it('falls back to Authorization when X-Api-Key is blank', () => {
    assert.equal(key({ 'X-Api-Key': '  ', Authorization: 'Bearer k-123' }), 'k-123');
  });

  it('reads the password of HTTP Basic, as CURLOPT(userpwd) sends it', () => {
    assert.equal(key({ Authorization: basic('pbx:k-789') }), 'k-789');
    assert.equal(key({ Authorization: basic(':k-789') }), 'k-789');
    assert.equal(key({ Authorization: basic('pbx:k:with:colons') }), 'k:with:colons');
  });

  it('reads the user name of HTTP Basic when the password is empty', () => {
    assert.equal(key({ Authorization: basic('k-789:') }), 'k-789');
    assert.equal(key({ Authorization: basic('k-789') }), 'k-789');
  });

  it('finds no key in empty Basic credentials, other schemes, or no header', () => {
    assert.equal(key({ Authorization: basic(':') }), null);
    assert.equal(key({ Authorization: 'Bearer' }), null);
    assert.equal(key({ Authorization: 'Token k-123' }), null);
    assert.equal(key({}), null);
  });

  it('refuses a key in the query string, even alongside a header', () => {
    for (const name of ['key', 'api_key', 'apikey', 'token', 'access_token']) {
      assert.throws(
        () => key({ Authorization: 'Bearer k-123' }, `${name}=k-123`),
        isUnauthenticated(
          'API keys are not accepted in the query string; send an Authorization header.',
        ),
        name,
      );
    }
  });

  it('ignores unrelated query parameters', () => {
    assert.equal(key({ Authorization: 'Bearer k-123' }, 'format=json'), 'k-123');
  });
});

describe('requireTenant', () => {
  const ctx = fakeApiContext({ 'k-acme': 'acme' });

  it('resolves the key to its tenant', async () => {
    const req = apiRequest('GET', '/', { headers: { Authorization: 'Bearer k-acme' } });
    assert.deepEqual(await requireTenant(req, ctx), { id: 'acme' });
  });

  it('rejects a request without a key', async () => {
    await assert.rejects(
      requireTenant(apiRequest('GET', '/'), ctx),
      isUnauthenticated(
        'An API key is required: Authorization: Bearer <key>, X-Api-Key: <key>, or HTTP Basic with the key as password; or a signed request (see integrations/).',
      ),
    );
  });

  it('rejects an unknown key', async () => {
    const req = apiRequest('GET', '/', { headers: { 'X-Api-Key': 'k-wrong' } });
    await assert.rejects(requireTenant(req, ctx), isUnauthenticated('The API key is not valid.'));
  });
});
