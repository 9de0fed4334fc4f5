import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
// puppeteer-core is an ES module; this CommonJS test code loads it with import().
import type { Browser } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import { ROOT } from './emulator';

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM = process.env.CALLWAKE_CHROMIUM ?? '/usr/bin/chromium';

/** Headless in a container, and nothing talking to Google on its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * A headless Chromium with a fresh profile, nothing talking to Google on its own, driven by
 * puppeteer-core over the DevTools protocol. `close()` also removes the profile.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = join(ROOT, '.cache', 'test', `chromium-${randomBytes(4).toString('hex')}`);
  mkdirSync(profile, { recursive: true });
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [...CHROMIUM_ARGS],
    protocolTimeout: 60_000,
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
