// The demo on every documented path, in headless Chromium: `npm run demo`
// (the Vite dev server on demo/), the built site under `vite preview` (which
// sends digits.csv.gz with Content-Encoding: gzip) and under a plain static
// server. On each the adapter appears, the digits load and training starts,
// nothing is drawn over the dashboard, and no module was externalized for the
// browser. A start-up failure shows the error alone on the page.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDir } from './static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const built = existsSync('dist-demo/index.html');

interface Served {
  url: string;
  close: () => Promise<void>;
}

async function viteDev(): Promise<Served> {
  const server = await createServer({ configFile: 'vite.config.ts', root: 'demo', logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false } });
  await server.listen();
  return { url: server.resolvedUrls!.local[0]!, close: () => server.close() };
}

async function vitePreview(): Promise<Served> {
  const server = await preview({ configFile: 'vite.config.ts', root: 'demo', logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  return { url: server.resolvedUrls!.local[0]!, close: () => new Promise<void>((r, j) => server.httpServer.close((e) => (e ? j(e) : r()))) };
}

const PATHS: [string, () => Promise<Served>][] = [
  ['npm run demo (Vite dev server)', viteDev],
  ['vite preview of the built site', vitePreview],
  ['a static server of the built site', () => serveDir('dist-demo')],
];

describe.skipIf(!haveChromium || !built)('the demo starts on every documented path (headless Chromium)', () => {
  let browser: Browser;

  beforeAll(async () => {
    const args = ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string, lines: string[], setup?: (p: Page) => Promise<void>): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    await setup?.(page);
    await page.goto(url);
    return page;
  }

  it.each(PATHS)('%s: the adapter appears, the digits load, training starts, no error is drawn', async (_name, start) => {
    const served = await start();
    const lines: string[] = [];
    try {
      const page = await open(served.url, lines);
      await page.waitForSelector('#adapter[data-state="ready"]', { timeout: 120_000 });
      await page.waitForFunction(() => Number(document.getElementById('train-stats')!.dataset.firstLoss) > 0 || !document.getElementById('fatal')!.hidden, undefined, { timeout: 300_000, polling: 500 });
      const fatal = await page.$eval('#fatal', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent ?? '' }));
      expect(fatal.hidden, fatal.text).toBe(true);
      expect(await page.isVisible('#app')).toBe(true);
      expect(Number(await page.$eval('#train-stats', (e) => (e as HTMLElement).dataset.firstLoss))).toBeGreaterThan(0);
      expect(lines.join('\n')).not.toMatch(/externalized for browser compatibility|DecompressionStream|Failed to fetch/);
      await page.close();
    } finally {
      if (lines.length) console.log(lines.slice(-10).join('\n'));
      await served.close();
    }
  });

  it('a start-up failure is shown on a clean page: the error alone, no empty dashboard behind it', async () => {
    const served = await serveDir('dist-demo');
    try {
      const page = await open(served.url, [], (p) => p.route('**/digits.csv.gz', (r) => r.fulfill({ status: 404, body: 'not found' })));
      await page.waitForSelector('#fatal:not([hidden])', { timeout: 120_000 });
      expect(await page.textContent('#fatal-text')).toMatch(/digits\.csv\.gz: HTTP 404/);
      expect(await page.isVisible('#fatal')).toBe(true);
      expect(await page.isVisible('#app')).toBe(false);
      expect(await page.$eval('#app', (e) => getComputedStyle(e).display)).toBe('none');
      await page.close();
    } finally {
      await served.close();
    }
  });
});

if (!haveChromium || !built) {
  describe('the demo on every documented path', () => {
    it.skip(`skipped: ${!haveChromium ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : 'dist-demo/ not built (npm run demo:build)'}`, () => {});
  });
}
