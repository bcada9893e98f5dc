// Point-in-time recovery in a real browser: a moment outside the window is refused by the page,
// a moment inside it goes through the form to a live job, the rows after it are gone, and the
// safety copy is listed and discarded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, screenshotPath, sql, waitForJobState, DESKTOP, PHONE } from './support.mjs';

let server;
let chrome;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await server?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function windowOf() {
  return (await server.fetch(`${server.url}/api/v1/databases/demo/pitr`)).json();
}

/// "2026-11-22T08:30:05" for a datetime-local input, in UTC.
const inputValue = (date) => date.toISOString().slice(0, 19);

test('a restore to a moment in the window brings back exactly the rows written before it', async () => {
  sql(server, 'CREATE TABLE marks (n int)');
  sql(server, 'INSERT INTO marks VALUES (1)');
  await sleep(1500);
  const target = new Date();
  await sleep(1500);
  sql(server, 'INSERT INTO marks VALUES (2)');
  sql(server, 'SELECT pg_switch_wal()');
  for (let i = 0; i < 300 && new Date((await windowOf()).latest) <= target; i++) await sleep(100);

  // A browser an hour ahead of UTC, so the local echo differs from the UTC value.
  const context = await server.context(chrome.browser, { viewport: DESKTOP, timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/databases/demo`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

  // Nothing to confirm yet: the button waits for a moment and the box.
  const input = page.getByLabel('Restore to (UTC)');
  const confirm = page.getByRole('button', { name: 'Restore to this moment' });
  assert.equal(await confirm.isDisabled(), true);

  // Before the window: the page refuses to send it.
  const early = new Date(new Date((await windowOf()).earliest).getTime() - 3_600_000);
  await input.fill(inputValue(early));
  await page.getByLabel(/I understand/).check();
  assert.equal(await input.evaluate((el) => el.validity.rangeUnderflow), true);
  assert.equal(await confirm.isDisabled(), true, 'a moment outside the window cannot be confirmed');
  assert.match(page.url(), /\/databases\/demo$/, 'still on the Backups tab');
  const jobs = await (await server.fetch(`${server.url}/api/v1/jobs`)).json();
  assert.equal(jobs.filter((j) => j.kind === 'pitr_restore').length, 0);

  // The server refuses it too, naming the field.
  const refused = await server.fetch(`${server.url}/api/v1/databases/demo/pitr-restores`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ restore_time: early.toISOString(), confirm: true }),
  });
  assert.equal(refused.status, 422);
  assert.equal((await refused.json()).error.field, 'restore_time');

  // Inside the window: the moment is echoed in the browser's time zone, and the job page
  // follows the restore to its end.
  await input.fill(inputValue(target));
  assert.match(await page.getByTestId('restore-local').innerText(), /in your time zone/);
  assert.equal(await confirm.isDisabled(), false);
  await confirm.click();
  await page.waitForURL('**/jobs/*', { timeout: 30_000 });
  await waitForJobState(server, page, 'succeeded', 120_000);
  await page.locator('[data-testid="job-summary"]', { hasText: /Restored to/ }).waitFor({ timeout: 10_000 });
  await page.screenshot({ path: screenshotPath('pitr-job-1280x800'), fullPage: true });
  assert.equal(sql(server, 'SELECT string_agg(n::text, \',\') FROM marks').match(/^\s*([\d,]+)\s*$/m)[1], '1');

  // The safety copy is listed on the tab, and goes when discarded.
  await page.goto(`${server.url}/databases/demo`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  const copy = page.locator('[data-testid="safety-copy"]');
  assert.equal(await copy.count(), 1);
  await page.screenshot({ path: screenshotPath('pitr-tab-1280x800'), fullPage: true });
  await copy.getByRole('button', { name: 'Discard' }).click();
  await copy.waitFor({ state: 'detached' });
  const copies = await (await server.fetch(`${server.url}/api/v1/databases/demo/safety-copies`)).json();
  assert.deepEqual(copies, []);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();

  const phone = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${server.url}/databases/demo`);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the tab is ${overflow}px wider than the screen`);
  await phone.close();
});
