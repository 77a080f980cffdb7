import { chromium, type Browser } from 'playwright-core';

/** The Debian package's Chromium, headless, as every browser test and benchmark runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
