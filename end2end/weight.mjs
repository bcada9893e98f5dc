// Measures what the first load of the Backups tab transfers, wasm included, in Debian's Chromium,
// and prints it file by file against the 350 KB budget. Run by scripts/page-weight.sh.
import { startServer, launchBrowser } from './tests/support.mjs';

const BUDGET = 350 * 1000;
const server = await startServer();
const chrome = await launchBrowser();
try {
  const context = await server.context(chrome.browser, { viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const urls = new Map();
  const sizes = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  await page.goto(`${server.url}/databases/demo`, { waitUntil: 'networkidle' });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  let total = 0;
  const rows = [];
  for (const [id, bytes] of sizes) {
    const url = urls.get(id) || '?';
    if (url.includes('/events')) continue; // a live stream, not part of the load
    total += bytes;
    rows.push([bytes, url.replace(server.url, '')]);
  }
  rows.sort((a, b) => b[0] - a[0]);
  for (const [bytes, url] of rows) console.log(`${(bytes / 1000).toFixed(1).padStart(8)} kB  ${url}`);
  console.log(`${(total / 1000).toFixed(1).padStart(8)} kB  total, first load of the Backups tab`);
  console.log(`ratio to the 350 kB budget: ${(total / BUDGET).toFixed(3)} (${total <= BUDGET ? 'within' : 'over'})`);
  await context.close();
} finally {
  await chrome.close();
  await server.stop();
}
