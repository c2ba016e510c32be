import { chromium, type Browser } from 'playwright-core';
import type { TestHost } from './testHost';

/** Debian's Chromium, headless; the flags keep it from reaching for the (closed) network. */
export function launchBrowser(host: TestHost): Promise<Browser> {
  return chromium.launch({
    executablePath: host.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}
