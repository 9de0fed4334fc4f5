import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import { vetWebPushEndpoint, type Resolve } from '../../../functions/push/endpointGuard';

const resolvesTo =
  (...addresses: string[]): Resolve =>
  () =>
    Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
const failsWith =
  (code: string): Resolve =>
  () =>
    Promise.reject(Object.assign(new Error(code), { code }));

async function refusal(endpoint: string, resolve: Resolve): Promise<AppError | null> {
  try {
    await vetWebPushEndpoint(endpoint, 'webpush_endpoint', [], resolve);
    return null;
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
}

describe('vetting a Web Push endpoint at registration', () => {
  const endpoint = 'https://push.example.net/wpush/abc';

  it('takes a host that resolves to public addresses only', async () => {
    assert.equal(await refusal(endpoint, resolvesTo('93.184.215.14', '2606:2800:21f::1')), null);
  });

  it('refuses a host with any private address among its addresses, naming the field', async () => {
    for (const inside of [
      '10.0.0.5',
      '127.0.0.1',
      '169.254.169.254',
      'fd12::1',
      '::ffff:192.168.0.1',
    ]) {
      const err = await refusal(endpoint, resolvesTo('93.184.215.14', inside));
      assert.equal(err?.code, 'invalid_argument', inside);
      assert.deepEqual(err.details, {
        webpush_endpoint: 'points to a private, loopback or reserved address',
      });
    }
  });

  it('refuses a host that does not resolve, and answers 503 when DNS does not answer', async () => {
    assert.equal((await refusal(endpoint, failsWith('ENOTFOUND')))?.code, 'invalid_argument');
    assert.equal((await refusal(endpoint, failsWith('EAI_AGAIN')))?.code, 'unavailable');
  });

  it('resolves nothing for an IP literal or an exempt test origin', async () => {
    const never: Resolve = () => Promise.reject(new Error('resolved'));
    assert.equal(await refusal('https://93.184.215.14/x', never), null);
    await vetWebPushEndpoint('https://127.0.0.1:9469/x', 'f', ['https://127.0.0.1:9469'], never);
  });
});
