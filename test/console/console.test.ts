import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import { RING_TIMEOUT } from '../../functions/core/schemas';
import { memberApp, registerAppDevice, type TestApp } from '../support/app';
import { launchChromium } from '../support/chromium';
import { createTenant, db, ROOT, type TestTenant } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken } from '../support/ids';
import { createOperator, type TestOperator } from '../support/operators';
import { fcmMessage, startProviders, type Providers } from '../support/providers';
import {
  CONSOLE_URL,
  SCREENSHOTS,
  openPage,
  ready,
  seriousViolations,
  show,
  signIn,
  type PageWatch,
} from './browser';

const XSS_NAME = '<img src=x onerror=alert(1)>';

/** The tenant's API keys as stored (hash and revoked flag), read past the API. */
async function keysOfTenant(tenant: string): Promise<{ id: string; revoked: boolean }[]> {
  const snap = await db().collection('apiKeys').where('tenant', '==', tenant).get();
  return snap.docs
    .map((d) => ({ id: d.id, revoked: d.get('revoked') === true }))
    .sort((x, y) => x.id.localeCompare(y.id));
}

/** The page's visible text and its HTML, for what must (not) be in it. */
const contents = (page: Page) =>
  page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
  }));

describe('the operator console in a real Chromium (Hosting, Auth, Firestore, Functions emulators)', function () {
  this.timeout(240_000);
  let fakes: Providers;
  let a: TestTenant;
  let b: TestTenant;
  let phoneApp: TestApp;
  let admin: TestOperator;
  let viewer: TestOperator;
  let outsider: TestOperator;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const watches: PageWatch[] = [];
  const phoneToken = fcmToken();
  const deskToken = fcmToken();
  let xssCall = '';
  let xssUuid = '';

  before(async () => {
    fakes = await startProviders();
    [a, b] = await Promise.all([createTenant('live'), createTenant('live')]);
    phoneApp = await memberApp(a, '100');
    await registerAppDevice(phoneApp, 'phone', {
      extension: '100',
      platform: 'android',
      fcm_token: phoneToken,
    });
    const desk = await api('PUT', '/v1/extensions/100/devices/desk', {
      key: a.key,
      form: { platform: 'android', fcm_token: deskToken },
    });
    assert.equal(desk.status, 201, desk.text);
    [admin, viewer, outsider] = await Promise.all([
      createOperator(a.id, 'admin'),
      createOperator(a.id, 'viewer'),
      createOperator(b.id, 'admin'),
    ]);
    const chromium = await launchChromium();
    browser = chromium.browser;
    closeBrowser = chromium.close;
    const opened = await openPage(browser);
    page = opened.page;
    watches.push(opened.watch);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await closeBrowser();
    await phoneApp.close();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const hash = (tenant: TestTenant, ...rest: string[]) => `#/t/${[tenant.id, ...rest].join('/')}`;

  it('signs an operator in and measures the first load: JS transferred (gzip) and time to the live list', async () => {
    const res = await fetch(CONSOLE_URL);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /require-trusted-types-for 'script'/);
    assert.match(csp, /frame-ancestors 'none'/);
    await signIn(page, admin);
    assert.deepEqual(await seriousViolations(page), [], 'live calls page: axe');

    // A reload of the signed-in console with the cache off: what an operator's browser fetches
    // on a first visit after signing in, and how soon the live list is drawn.
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    // gzip, as the figure is stated (the emulator would pick brotli where offered).
    await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'gzip' } });
    const scripts = new Map<string, { url: string; encoding: string; bytes: number }>();
    cdp.on('Network.responseReceived', (e) => {
      if (e.type === 'Script') {
        const headers = Object.fromEntries(
          Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]),
        );
        scripts.set(e.requestId, {
          url: e.response.url,
          encoding: headers['content-encoding'] ?? 'identity',
          bytes: 0,
        });
      }
    });
    cdp.on('Network.loadingFinished', (e) => {
      const script = scripts.get(e.requestId);
      if (script) script.bytes = e.encodedDataLength;
    });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await ready(page, 'calls');
    const toList = await page.evaluate(
      () => performance.getEntriesByName('callwake:live-calls')[0]?.startTime ?? -1,
    );
    await cdp.send('Network.setExtraHTTPHeaders', { headers: {} });
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    await cdp.detach();
    const own = [...scripts.values()].filter((s) => s.url.startsWith(CONSOLE_URL));
    const jsBytes = own.reduce((n, s) => n + s.bytes, 0);
    assert.ok(own.length >= 1, 'the console loaded its scripts');
    // The emulator (superstatic's compression) leaves bodies under 1 kB as they are; bytes
    // count the headers too (the CSP alone is 400), as DevTools' "transferred" does.
    assert.ok(
      own.every((s) => s.encoding === 'gzip' || s.bytes < 2048),
      `scripts served gzip: ${JSON.stringify(own)}`,
    );
    assert.ok(toList > 0, 'the live list marked its first draw');
    const figures = {
      jsFiles: own.length,
      jsTransferredBytes: jsBytes,
      timeToLiveListMs: Math.round(toList),
    };
    writeFileSync(
      join(ROOT, '.cache', 'test', 'console-first-load.json'),
      JSON.stringify(figures, null, 2),
    );
    console.log(
      `      console first load: ${(jsBytes / 1024).toFixed(1)} kB of JavaScript transferred (gzip, ${own.length} files), live calls list drawn ${Math.round(toList)} ms after navigation`,
    );
  });

  it('shows a call the PBX posts, its caller name as text, and turns it accepted', async () => {
    xssCall = callId();
    const posted = Date.now();
    const rang = await api('POST', '/v1/calls', {
      key: a.key,
      // The longest ring time: on a loaded machine the page may take long to show it.
      form: {
        call_id: xssCall,
        to: '100',
        from: '5551234',
        from_name: XSS_NAME,
        ring_timeout: String(RING_TIMEOUT.max),
      },
    });
    assert.equal(rang.status, 201, rang.text);
    const answered = Date.now();
    xssUuid = rang.fields.call_uuid as string;
    const row = `tr[data-call-id="${xssCall}"]`;
    await page.waitForSelector(row, { timeout: 60_000 });
    const seen = Date.now();
    console.log(
      `      the call appeared ${seen - posted} ms after the PBX posted it (${seen - answered} ms after its answer)`,
    );

    const caller = await page.$eval(`${row} td.caller`, (td) => td.textContent);
    assert.ok(caller.includes(XSS_NAME), `the name is shown as text: ${caller}`);
    assert.equal(
      await page.$$eval('main img', (imgs) => imgs.length),
      0,
      'no element was made from the name',
    );

    const reply = await api('POST', `/v1/app/calls/${xssCall}/answer`, {
      headers: { Authorization: `Bearer ${await phoneApp.idToken()}` },
      form: { action: 'accept', device_id: 'phone' },
    });
    assert.equal(reply.status, 200, reply.text);
    await page.waitForSelector(`${row}[data-status="accepted"]`, { timeout: 60_000 });
    await shot('calls');
  });

  it('draws the call as one lane per device, each moment with its ms, as GET /v1/calls/{id} has it', async () => {
    await show(page, hash(a, 'call', xssUuid), 'call');
    // The desk phone's cancel push is recorded once the onCallWritten trigger has sent it.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('g.lane[data-device="desk"] .event-label')].some((t) =>
          t.textContent.startsWith('cancel pushed +'),
        ),
      { timeout: 90_000 },
    );
    const lanes = await page.$$eval('svg.timeline g.lane', (gs) =>
      gs.map((g) => ({
        device: g.getAttribute('data-device'),
        labels: [...g.querySelectorAll('.event-label')].map((t) => t.textContent),
      })),
    );
    assert.deepEqual(
      lanes.map((l) => l.device),
      ['desk', 'phone'],
    );
    const phone = lanes.find((l) => l.device === 'phone')?.labels ?? [];
    for (const moment of ['pushed', 'provider answered', 'answered']) {
      assert.ok(
        phone.some((label) => new RegExp(`^${moment} \\+\\d+ ms$`).test(label)),
        `${moment} in ${phone.join(', ')}`,
      );
    }
    const json = await page.$eval(
      'pre.json',
      (pre) => JSON.parse(pre.textContent || '{}') as Record<string, unknown>,
    );
    const fromApi = await api('GET', `/v1/calls/${xssCall}`, { key: a.key });
    assert.deepEqual(json, fromApi.fields, 'the page shows what the API answers');
    const text = (await contents(page)).text;
    assert.ok(text.includes(XSS_NAME), 'the caller is shown as text on the call page too');
    assert.deepEqual(await seriousViolations(page), [], 'call page: axe');
    await shot('call');
  });

  it('lists devices with masked tokens, rings one at the fake provider, and shows a pairing QR code', async () => {
    await show(page, hash(a, 'devices'), 'devices');
    const { text, html } = await contents(page);
    for (const token of [phoneToken, deskToken]) {
      assert.ok(!html.includes(token), 'no raw push token reaches the page');
      assert.ok(
        text.includes(`${token.slice(0, 4)}…${token.slice(-4)}`),
        'the masked token is shown',
      );
    }
    const before = fakes.fcm.requestsFor(deskToken).length;
    await page.click('tr[data-device="desk"] button.test-ring');
    await page.waitForSelector('tr[data-device="desk"] .test-result[data-push="accepted"]', {
      timeout: 60_000,
    });
    const pushes = fakes.fcm.requestsFor(deskToken).slice(before);
    assert.equal(pushes.length, 1, 'the test ring reached the fake FCM once');
    assert.equal(fcmMessage(pushes[0]!).data.caller_name, 'callwake test call');
    const result = await page.$eval('tr[data-device="desk"] .test-result', (el) => el.textContent);
    assert.match(result, /accepted by FCM after \d+ ms/);

    await page.click('section[data-extension="100"] button.pair');
    await page.waitForSelector('section[data-extension="100"] svg.qr', { timeout: 60_000 });
    const modules = await page.$$eval('section[data-extension="100"] svg.qr rect', (r) => r.length);
    assert.ok(modules > 100, `a QR code of ${modules} modules`);
    assert.match(await page.$eval('.pairing-code', (c) => c.textContent), /\S{4,}/);
    assert.deepEqual(await seriousViolations(page), [], 'devices page: axe');
    await shot('devices');
  });

  it('lets an admin create a key, shown once, and revoke it', async () => {
    await show(page, hash(a, 'keys'), 'keys');
    await page.click('button.create-key');
    await page.waitForSelector('output.secret', { timeout: 60_000 });
    const key = await page.$eval('output.secret', (o) => o.textContent);
    assert.match(key, /^cwk_[\w-]{40,}$/);
    assert.equal(
      (await api('GET', '/v1/extensions/100/devices', { key })).status,
      200,
      'the new key works',
    );
    // The list names keys by the first 12 hex digits of their hash, the new one among them.
    const keyId = createHash('sha256').update(key).digest('hex').slice(0, 12);
    await page.waitForSelector(`tr[data-key="${keyId}"]`, { timeout: 60_000 });
    await page.click(`tr[data-key="${keyId}"] button.revoke`);
    await page.click(`tr[data-key="${keyId}"] button.confirm-revoke`);
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-key="${id}"] .key`)?.textContent === 'revoked',
      { timeout: 60_000 },
      keyId,
    );
    assert.deepEqual(await seriousViolations(page), [], 'keys page: axe');
    // The screenshot without the new key on it: the list as it stands.
    await show(page, hash(a, 'calls'), 'calls');
    await show(page, hash(a, 'keys'), 'keys');
    await shot('keys');
  });

  it('draws the health page: ring latency histogram and outcomes', async () => {
    await show(page, hash(a, 'health'), 'health');
    const bars = await page.$$eval('svg.chart.ring rect.bar', (r) => r.length);
    assert.equal(bars, 10, 'one bar per latency bucket');
    const accepted = await page.$eval('tr[data-outcome="accepted"]', (tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent),
    );
    assert.deepEqual(accepted, ['1', '1']);
    assert.deepEqual(await seriousViolations(page), [], 'health page: axe');
    await shot('health');
  });

  it('shows a viewer no key or test-ring controls, and the API refuses it the keys', async () => {
    const { page: viewerPage, watch } = await openPage(browser);
    watches.push(watch);
    await signIn(viewerPage, viewer);
    const nav = await viewerPage.$$eval('nav a', (links) => links.map((l) => l.textContent));
    assert.deepEqual(nav, ['Live calls', 'Devices', 'Health']);
    await show(viewerPage, hash(a, 'devices'), 'devices');
    assert.equal(await viewerPage.$$eval('button.test-ring, button.pair', (bs) => bs.length), 0);
    await show(viewerPage, hash(a, 'keys'), 'keys');
    const refused = await viewerPage.$eval('.refused', (p) => p.textContent);
    assert.match(refused, /needs the admin role/);
    assert.equal(await viewerPage.$$eval('tr[data-key]', (trs) => trs.length), 0);

    // Past the page: the viewer's own browser session asks the API directly, with the ID token
    // its sign-in stored, to create a key and to revoke the tenant's key. Both are refused and
    // the tenant's keys stay as they were.
    const keysBefore = await keysOfTenant(a.id);
    const activeId = keysBefore.find((k) => !k.revoked)?.id ?? '';
    assert.ok(activeId, 'the tenant has an active key to try to revoke');
    const attempts = await viewerPage.evaluate(
      async (tenant, keyId) => {
        const token = await new Promise<string>((resolve, reject) => {
          const open = indexedDB.open('firebaseLocalStorageDb');
          open.onerror = () => {
            reject(new Error('no Firebase Auth storage'));
          };
          open.onsuccess = () => {
            const read = open.result
              .transaction('firebaseLocalStorage')
              .objectStore('firebaseLocalStorage')
              .getAll();
            read.onsuccess = () => {
              const rows = read.result as {
                value?: { stsTokenManager?: { accessToken?: string } };
              }[];
              resolve(
                rows.find((r) => r.value?.stsTokenManager)?.value?.stsTokenManager?.accessToken ??
                  '',
              );
            };
            read.onerror = () => {
              reject(new Error('Firebase Auth storage unreadable'));
            };
          };
        });
        // No named function in here: tsx would wrap it in a helper the page does not have.
        const asked = [];
        for (const path of [
          `/v1/console/tenants/${tenant}/keys`,
          `/v1/console/tenants/${tenant}/keys/${keyId}/revoke`,
        ]) {
          const res = await fetch(path, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
          });
          asked.push({ status: res.status, body: await res.text() });
        }
        const [create = { status: 0, body: '' }, revoke = { status: 0, body: '' }] = asked;
        return { signedIn: token.length > 0, create, revoke };
      },
      a.id,
      activeId.slice(0, 12),
    );
    assert.ok(attempts.signedIn, 'the viewer holds an ID token');
    assert.equal(attempts.create.status, 403, attempts.create.body);
    assert.equal(attempts.revoke.status, 403, attempts.revoke.body);
    assert.ok(!attempts.create.body.includes('cwk_'), 'no key in the refusal');
    assert.deepEqual(await keysOfTenant(a.id), keysBefore, "the tenant's keys are unchanged");
    await viewerPage.close();
  });

  it("shows another tenant's operator none of it", async () => {
    const { page: other, watch } = await openPage(browser);
    watches.push(watch);
    await signIn(other, outsider);
    assert.equal(
      await other.$$eval('tr[data-call-id]', (trs) => trs.length),
      0,
      'its own tenant has no calls',
    );
    for (const [target, what] of [
      [hash(a, 'calls'), 'refused'],
      [hash(a, 'call', xssUuid), 'refused'],
      [hash(a, 'devices'), 'refused'],
    ] as const) {
      await show(other, target, what);
      const { text } = await contents(other);
      assert.ok(
        !text.includes(XSS_NAME) && !text.includes('desk'),
        `${target} shows nothing of tenant A`,
      );
    }
    await other.close();
  });

  it('has no serious accessibility violation on the sign-in page, and ran no script it should not', async () => {
    const { page: fresh, watch } = await openPage(browser);
    watches.push(watch);
    await fresh.goto(CONSOLE_URL, { waitUntil: 'domcontentloaded' });
    await ready(fresh, 'sign-in');
    assert.deepEqual(await seriousViolations(fresh), [], 'sign-in page: axe');
    await fresh.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await fresh.close();
    for (const w of watches) {
      assert.deepEqual(w.dialogs, [], 'no dialog opened (an alert() would be an injected script)');
      assert.deepEqual(w.errors, [], 'no script error');
    }
  });
});
