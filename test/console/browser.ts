import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'puppeteer-core' with {
  'resolution-mode': 'import',
};
import { ROOT } from '../support/emulator';
import type { TestOperator } from '../support/operators';

/** The console as the Hosting emulator serves it (firebase.json emulators.hosting). */
export const CONSOLE_URL = 'http://127.0.0.1:5000';
export const SCREENSHOTS = join(ROOT, 'docs', 'console');

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** What went wrong in a page: script errors and dialogs (an alert() is an XSS that ran). */
export interface PageWatch {
  errors: string[];
  dialogs: string[];
}

/** A page in its own browser context (its own cookies and IndexedDB: its own sign-in). */
export async function openPage(
  browser: Browser,
): Promise<{ page: Page; context: BrowserContext; watch: PageWatch }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  // tsx compiles the tests with esbuild's keepNames (tsx/dist/register-*.cjs: `keepNames:!0`), so
  // a named function inside an evaluate callback (`const post = async () => …`) is serialized as
  // `__name(async () => …, "post")`; esbuild defines __name in the test's module, not in the page.
  // Given as a string so that it is not itself rewritten; it keeps the name as esbuild's does.
  await page.evaluateOnNewDocument(
    'globalThis.__name = (fn, name) => Object.defineProperty(fn, "name", { value: name, configurable: true });',
  );
  await page.setViewport({ width: 1200, height: 820 });
  const watch: PageWatch = { errors: [], dialogs: [] };
  page.on('pageerror', (err) => watch.errors.push(String(err)));
  page.on('dialog', (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, context, watch };
}

/** Waits until the page says it drew `what` (main[data-ready]). */
export async function ready(page: Page, what: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`main[data-ready="${what}"]`, { timeout });
}

/** Signs in through the form, as a person would, and waits for the live calls list. */
export async function signIn(page: Page, who: TestOperator, landing = 'calls'): Promise<void> {
  await page.goto(CONSOLE_URL, { waitUntil: 'domcontentloaded' });
  await ready(page, 'sign-in');
  await page.type('#email', who.email);
  await page.type('#password', who.password);
  await page.click('form.sign-in button[type=submit]');
  await ready(page, landing);
}

/** Goes to a page of the console by its hash and waits for it to be drawn. */
export async function show(page: Page, hash: string, what: string): Promise<void> {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await ready(page, what);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/**
 * axe-core run inside the page (through the DevTools protocol, which the page's CSP does not
 * govern): the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    interface Axe {
      run(ctx: Document): Promise<{
        violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[];
      }>;
    }
    const { violations } = await (window as unknown as { axe: Axe }).axe.run(document);
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
}
