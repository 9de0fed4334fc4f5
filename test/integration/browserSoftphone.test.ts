import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser, CDPSession, Page } from 'puppeteer-core' with {
  'resolution-mode': 'import',
};
import { callUuid } from '../../functions/core/call/callUuid';
import { BASE_URL, createTenant, ROOT, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId } from '../support/ids';
import type { SubscriptionJson } from '../support/fakeWebPush';
import { startProviders, type Providers } from '../support/providers';
import { eventually } from '../support/wait';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';

/**
 * The browser softphone of docs/examples/browser-softphone, in a real headless Chromium
 * (Debian's, driven over the DevTools protocol). Its own push service is out of reach here, so
 * the fake Web Push service stands in for it at the two places a browser meets its vendor's:
 * PushManager.subscribe() hands the page a subscription of the fake service (made with the key
 * the page passed), and what the fake service accepts and decrypts reaches the page's service
 * worker through ServiceWorker.deliverPushMessage, as DevTools' "Push" button does.
 */
const EXAMPLE = join(ROOT, 'docs', 'examples', 'browser-softphone');
const SCREENSHOT = join(ROOT, '.cache', 'test', 'browser-softphone-call.png');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Serves the example as it is, with a config.js pointing at the emulators. */
async function serveExample(): Promise<{ origin: string; close(): Promise<void> }> {
  const auth = `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? ''}`;
  const config = `window.CALLWAKE_CONFIG = ${JSON.stringify({
    api: BASE_URL,
    firebaseApiKey: 'demo-api-key',
    authOrigin: `${auth}/identitytoolkit.googleapis.com`,
    tokenOrigin: `${auth}/securetoken.googleapis.com`,
  })};`;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? 'index.html' : normalize(path).replace(/^\/+/, '');
    if (file === 'config.js') {
      res.writeHead(200, { 'content-type': TYPES['.js']! }).end(config);
      return;
    }
    try {
      if (file.includes('..')) throw new Error('outside');
      const body = readFileSync(join(EXAMPLE, file));
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/** A user on the Auth emulator, made through its REST API (what the page signs in with). */
async function createUser(email: string, password: string): Promise<string> {
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST ?? '';
  const res = await fetch(
    `http://${host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    },
  );
  const body = (await res.json()) as { localId?: string };
  assert.ok(res.ok && body.localId, JSON.stringify(body));
  return body.localId;
}

/**
 * The user accepts the PBX's invitation to `extension`, as its app would before registering:
 * signed in afresh (a sign-up's token can fall a second short of the password's validity, see
 * test/support/app.ts), through POST /v1/app/invitations/accept.
 */
async function acceptInvitation(
  email: string,
  password: string,
  tenant: string,
  extension: string,
): Promise<void> {
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST ?? '';
  const res = await fetch(
    `http://${host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-api-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    },
  );
  const body = (await res.json()) as { idToken?: string };
  assert.ok(res.ok && body.idToken, JSON.stringify(body));
  const accepted = await api('POST', '/v1/app/invitations/accept', {
    headers: { Authorization: `Bearer ${body.idToken}` },
    form: { tenant, extension },
  });
  assert.equal(accepted.status, 200, accepted.text);
}

/** A notification as the service worker's registration lists it. */
interface NotificationLike {
  title: string;
  body: string;
  tag: string;
  data: unknown;
  actions?: { action: string }[];
}

/**
 * The few browser globals the page-side functions below touch: the tests compile without the
 * DOM library (its types clash with Node's in the rest of the suite).
 */
interface PageGlobals {
  btoa(text: string): string;
  callwakeTestSubscribe(key: string): Promise<SubscriptionJson>;
  PushManager: {
    prototype: {
      subscribe(options?: {
        applicationServerKey?: ArrayBuffer | ArrayBufferView | string | null;
        userVisibleOnly?: boolean;
      }): Promise<unknown>;
      getSubscription(): Promise<unknown>;
    };
  };
  navigator: {
    serviceWorker: { ready: Promise<{ getNotifications(): Promise<NotificationLike[]> }> };
  };
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/**
 * Runs in the page before its scripts: PushManager as the browser provides it, except that the
 * subscription comes from the fake push service (callwakeTestSubscribe, exposed by the test),
 * made for the applicationServerKey the page passes.
 */
function fakePushManager(): void {
  const g = globalThis as unknown as PageGlobals;
  const b64 = (bytes: ArrayBuffer | ArrayBufferView) => {
    const view =
      bytes instanceof ArrayBuffer
        ? new Uint8Array(bytes)
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return g
      .btoa(String.fromCharCode(...view))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  };
  let current: unknown = null;
  g.PushManager.prototype.subscribe = async function (options) {
    const key = options?.applicationServerKey;
    if (!key || typeof key === 'string') throw new Error('applicationServerKey as bytes, please');
    const json = await g.callwakeTestSubscribe(b64(key));
    current = {
      endpoint: json.endpoint,
      expirationTime: null,
      options: { applicationServerKey: key, userVisibleOnly: options.userVisibleOnly },
      toJSON: () => json,
      unsubscribe: () => {
        current = null;
        return Promise.resolve(true);
      },
    };
    return current;
  };
  g.PushManager.prototype.getSubscription = () => Promise.resolve(current);
}

interface Shown {
  title: string;
  body: string;
  tag: string;
  data: Record<string, string> | null;
  actions: string[];
}

/** The notifications the page's service worker shows now. */
const shownNotifications = (page: Page): Promise<Shown[]> =>
  page.evaluate(async () => {
    const registration = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      data: n.data as Record<string, string> | null,
      actions: (n.actions ?? []).map((a) => a.action),
    }));
  });

/** The text of the page's element at `selector`, or null. */
const textAt = (page: Page, selector: string): Promise<string | null> =>
  page.evaluate(
    (sel) =>
      (globalThis as unknown as PageGlobals).document.querySelector(sel)?.textContent ?? null,
    selector,
  );

describe('the browser softphone example in headless Chromium (emulator, fake Web Push service)', function () {
  this.timeout(90_000);
  let fakes: Providers;
  let tenant: TestTenant;
  let site: Awaited<ReturnType<typeof serveExample>>;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let profile: string;
  let registrationId = '';
  let endpoint = '';
  const pageLog: string[] = [];
  const email = `softphone-${randomBytes(4).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;

  before(async () => {
    fakes = await startProviders();
    tenant = await createTenant('live');
    site = await serveExample();
    const uid = await createUser(email, password);
    // A member by consent: the PBX invites the user, the user accepts.
    const invited = await api('PUT', `/v1/extensions/3001/members/${uid}`, { key: tenant.key });
    assert.equal(invited.status, 202, invited.text);
    await acceptInvitation(email, password, tenant.id, '3001');
    profile = mkdtempSync(join(tmpdir(), 'callwake-chromium-'));
    // puppeteer-core is an ES module: imported, not required.
    const { default: puppeteer } = await import('puppeteer-core');
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true,
      userDataDir: profile,
      args: [...CHROMIUM_ARGS],
    });
    // The user said yes to notifications (a headless browser cannot be asked).
    await browser
      .defaultBrowserContext()
      .setPermission(site.origin, { permission: { name: 'notifications' }, state: 'granted' });
    page = await browser.newPage();
    // What the page said, shown when a test fails.
    page.on('console', (message) => pageLog.push(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (err) => pageLog.push(`page error: ${String(err)}`));
    await page.setViewport({ width: 560, height: 640 });
    await page.exposeFunction('callwakeTestSubscribe', (key: string) => {
      const subscription = fakes.webPush.subscribe({ applicationServerKey: key });
      endpoint = subscription.endpoint;
      return subscription;
    });
    // tsx keeps function names with an __name() helper the page does not have: give it one.
    await page.evaluateOnNewDocument('globalThis.__name = (fn) => fn;');
    await page.evaluateOnNewDocument(fakePushManager);
    cdp = await page.createCDPSession();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      for (const r of registrations) {
        if (r.scopeURL.startsWith(site.origin) && !r.isDeleted) registrationId = r.registrationId;
      }
    });
    await cdp.send('ServiceWorker.enable');
    // What the push service accepted reaches the service worker as the browser would get it.
    fakes.webPush.onDeliver = (message) => {
      if (message.endpoint !== endpoint || registrationId === '') return;
      void cdp.send('ServiceWorker.deliverPushMessage', {
        origin: site.origin,
        registrationId,
        data: message.payload ?? '',
      });
    };
    await page.goto(`${site.origin}/`);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    const status = await textAt(page, '#status').catch(() => null);
    console.log(`page status: ${status ?? '?'}\n${pageLog.join('\n')}`);
  });

  after(async () => {
    fakes.webPush.onDeliver = undefined;
    await browser.close().catch(() => undefined);
    await site.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('signs in, subscribes with callwake’s VAPID key and registers the browser as a device', async () => {
    await page.type('input[name=email]', email);
    await page.type('input[name=password]', password);
    await page.type('input[name=extension]', '3001');
    await page.click('button[type=submit]');
    await eventually(
      async () => (await textAt(page, '#status'))?.startsWith('Ready'),
      'the page to say it is ready',
      20_000,
    );
    const devices = await api('GET', '/v1/extensions/3001/devices', { key: tenant.key });
    const [device, ...more] = devices.fields.devices as Record<string, unknown>[];
    assert.equal(more.length, 0);
    assert.equal(device?.platform, 'web');
    assert.equal(device.webpush_payload, true);
    const key = await api('GET', '/v1/webpush/public-key', { key: tenant.key });
    const [request] = fakes.webPush.requestsFor(endpoint);
    assert.equal(request, undefined, 'nothing pushed yet');
    assert.ok(endpoint.startsWith(fakes.webPush.origin), endpoint);
    assert.ok(key.fields.public_key, 'the page subscribed with callwake’s key');
    assert.notEqual(registrationId, '', 'the service worker is registered');
  });

  it('shows a call notification for the push and answers through callwake', async () => {
    const id = callId();
    const ring = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '3001', from: '5551234', from_name: 'Alice Caller' },
    });
    assert.equal(ring.status, 201, ring.text);
    assert.equal(ring.fields.pushed, 1);
    const tag = `call-${callUuid(tenant.id, id)}`;
    const shown = await eventually(
      async () => (await shownNotifications(page)).find((n) => n.tag === tag),
      'the call notification',
      20_000,
    );
    assert.equal(shown.title, 'Alice Caller is calling');
    assert.equal(shown.body, 'Call to extension 3001');
    assert.deepEqual(shown.actions, ['accept', 'decline']);
    assert.equal(shown.data?.type, 'incoming_call');
    assert.equal(shown.data.call_id, id);
    await page.waitForSelector(`.call[data-tag="${tag}"] .answer`);
    mkdirSync(join(ROOT, '.cache', 'test'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    await page.click(`.call[data-tag="${tag}"] .answer`);
    const call = await eventually(async () => {
      const reply = await api('GET', `/v1/calls/${encodeURIComponent(id)}`, { key: tenant.key });
      return reply.fields.status === 'accepted' ? reply.fields : undefined;
    }, 'callwake to record the answer');
    const devices = await api('GET', '/v1/extensions/3001/devices', { key: tenant.key });
    const [device] = devices.fields.devices as { device_id: string }[];
    assert.equal(call.answered_by, device?.device_id);
    await eventually(
      async () => (await textAt(page, '#status'))?.startsWith('Answered'),
      'the page to say the call is answered',
    );
    assert.equal((await shownNotifications(page)).filter((n) => n.tag === tag).length, 0);
  });

  it('replaces the call notification with "Missed call" when the caller hangs up', async () => {
    const id = callId();
    const ring = await api('POST', '/v1/calls', {
      key: tenant.key,
      form: { call_id: id, to: '3001', from: '5550000', from_name: 'Bob' },
    });
    assert.equal(ring.status, 201, ring.text);
    const tag = `call-${callUuid(tenant.id, id)}`;
    await eventually(
      async () => (await shownNotifications(page)).find((n) => n.title === 'Bob is calling'),
      'the call notification',
      20_000,
    );
    const cancel = await api('POST', `/v1/calls/${encodeURIComponent(id)}/cancel`, {
      key: tenant.key,
      form: { reason: 'hangup' },
    });
    assert.equal(cancel.status, 200, cancel.text);
    const missed = await eventually(
      async () => {
        const mine = (await shownNotifications(page)).filter((n) => n.tag === tag);
        return mine.length === 1 && mine[0]?.title === 'Missed call' ? mine[0] : undefined;
      },
      'the missed-call notification in place of the call',
      20_000,
    );
    assert.equal(missed.body, 'From Bob');
    assert.equal(missed.data?.type, 'call_cancelled');
    await eventually(
      async () => (await textAt(page, `.call[data-tag="${tag}"] h3`)) === 'Missed call',
      'the page to show the missed call',
    );
  });
});
