import assert from 'node:assert/strict';
import { AppError } from '../../../functions/core/errors';
import { errorResponse, handle, routeName } from '../../../functions/http/router';
import { apiRequest, fakeApiContext } from '../../support/fakes';

const AUTH = { Authorization: 'Bearer k-acme' };

describe('handle', () => {
  it('answers GET /v1/health with 200 ok, without a key', async () => {
    const ctx = fakeApiContext();
    assert.deepEqual(await handle(apiRequest('GET', '/v1/health'), ctx), {
      status: 200,
      body: { status: 'ok' },
    });
  });

  it('ignores a trailing slash', async () => {
    const res = await handle(apiRequest('GET', '/v1/health/'), fakeApiContext());
    assert.equal(res.status, 200);
  });

  it('answers an unknown route with 404 not_found', async () => {
    const ctx = fakeApiContext();
    assert.deepEqual(await handle(apiRequest('GET', '/v2/nothing'), ctx), {
      status: 404,
      body: { error: 'not_found', message: 'No route GET /v2/nothing.' },
    });
    assert.equal((await handle(apiRequest('GET', '/'), ctx)).status, 404);
    assert.deepEqual(ctx.reported, []);
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const ctx = fakeApiContext();
    assert.deepEqual(await handle(apiRequest('POST', '/v1/health'), ctx), {
      status: 405,
      body: { error: 'method_not_allowed', message: 'POST is not allowed here; use GET.' },
      headers: { Allow: 'GET' },
    });
    const res = await handle(
      apiRequest('GET', '/v1/extensions/100/devices/pixel-8', { headers: AUTH }),
      ctx,
    );
    assert.equal(res.status, 405);
    assert.deepEqual(res.headers, { Allow: 'PUT, POST, DELETE' });
    assert.equal((await handle(apiRequest('GET', '/v1/calls'), ctx)).headers?.Allow, 'POST');
  });

  it('answers a badly percent-encoded path with 400', async () => {
    const ctx = fakeApiContext({ 'k-acme': 'acme' });
    const res = await handle(apiRequest('GET', '/v1/calls/%E0%A4%A', { headers: AUTH }), ctx);
    assert.deepEqual(res, {
      status: 400,
      body: {
        error: 'invalid_argument',
        message: 'The URL path is not correctly percent-encoded.',
      },
    });
  });

  it('decodes path parameters before validating them', async () => {
    const ctx = fakeApiContext({ 'k-acme': 'acme' });
    const res = await handle(
      apiRequest('PUT', '/v1/extensions/100/devices/a%2Fb', {
        headers: AUTH,
        body: 'platform=android&fcm_token=t',
      }),
      ctx,
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'invalid_argument',
      message: 'device_id: must be 1-128 characters of A-Z a-z 0-9 _ . : -',
      details: { device_id: 'must be 1-128 characters of A-Z a-z 0-9 _ . : -' },
    });
  });

  it('maps an AppError from a handler to its status and {error, message} body, without reporting it', async () => {
    const ctx = fakeApiContext();
    const res = await handle(apiRequest('GET', '/v1/extensions/100/devices'), ctx);
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'unauthenticated');
    assert.equal(typeof res.body.message, 'string');
    assert.equal(res.headers, undefined);
    assert.deepEqual(ctx.reported, []);
  });

  it('turns an unexpected error into 500 internal, reports it, and leaks nothing', async () => {
    const ctx = fakeApiContext();
    const boom = new Error('connection string postgres://admin:hunter2@db');
    ctx.resolveApiKey = () => Promise.reject(boom);
    const res = await handle(
      apiRequest('GET', '/v1/extensions/100/devices', { headers: AUTH }),
      ctx,
    );
    assert.deepEqual(res, { status: 500, body: { error: 'internal', message: 'Internal error.' } });
    assert.deepEqual(ctx.reported, [boom]);
  });

  it('turns a Firestore UNAVAILABLE ({code: 14}) into 503 with Retry-After, and reports it', async () => {
    const ctx = fakeApiContext({ 'k-acme': 'acme' });
    const outage = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
    });
    ctx.devices.listByExtension = () => Promise.reject(outage);
    const res = await handle(
      apiRequest('GET', '/v1/extensions/100/devices', { headers: AUTH }),
      ctx,
    );
    assert.deepEqual(res, {
      status: 503,
      body: {
        error: 'unavailable',
        message: 'A backing service is unavailable; try again shortly.',
      },
      headers: { 'Retry-After': '1' },
    });
    assert.deepEqual(ctx.reported, [outage]);
  });

  it('checks the route and method before the API key', async () => {
    const ctx = fakeApiContext();
    assert.equal((await handle(apiRequest('PATCH', '/v1/calls'), ctx)).status, 405);
    assert.equal((await handle(apiRequest('POST', '/v1/call'), ctx)).status, 404);
  });
});

describe('errorResponse', () => {
  it('includes details when the error has them', () => {
    const err = new AppError('invalid_argument', 'to: is required', { to: 'is required' });
    assert.deepEqual(errorResponse(err), {
      status: 400,
      body: {
        error: 'invalid_argument',
        message: 'to: is required',
        details: { to: 'is required' },
      },
    });
  });

  it('adds Retry-After only to unavailable', () => {
    assert.deepEqual(errorResponse(new AppError('unavailable', 'x')).headers, {
      'Retry-After': '1',
    });
    assert.equal(errorResponse(new AppError('rate_limited', 'x')).headers, undefined);
  });
});

describe('routeName', () => {
  it('names routes without their ids, for logs', () => {
    assert.equal(routeName('/v1/health'), '/v1/health');
    assert.equal(routeName('/v1/calls/'), '/v1/calls');
    assert.equal(routeName('/v1/calls/abc@pbx'), '/v1/calls/{call_id}');
    assert.equal(routeName('/v1/extensions/100/devices'), '/v1/extensions/{ext}/devices');
    assert.equal(
      routeName('/v1/extensions/100/devices/pixel-8'),
      '/v1/extensions/{ext}/devices/{device_id}',
    );
    assert.equal(routeName('/admin'), 'unknown');
  });
});
