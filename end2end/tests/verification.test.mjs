// A backup proven by a test restore, in a real browser: the badge in the Backups tab, the newest
// verified restore point, and the backup's own page with its evidence, at desktop and phone sizes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openHydrated, screenshotPath, PHONE, DESKTOP } from './support.mjs';

let server;
let chrome;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  const code = await server?.stop();
  assert.equal(code, 0, 'tidemark stops cleanly on SIGTERM');
});

async function json(path, options = {}) {
  const res = await server.fetch(`${server.url}${path}`, options);
  assert.ok(res.ok, `${path} answers ${res.status}`);
  return res.json();
}

/** Polls `read` until `done` says so, or fails after `timeout` with the last value. */
async function until(read, done, timeout, what) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not happen in ${timeout / 1000} s; last: ${JSON.stringify(last)}`);
}

/** The page does not scroll sideways. */
async function fitsWidth(page) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `the page is ${scroll}px wide in a ${width}px window`);
}

test('the demo shows its first backup verified within a minute of start', async () => {
  const started = Date.now();
  const backups = await until(
    () => json('/api/v1/databases/demo/backups'),
    (list) => list.some((b) => b.method === 'manual' && b.status === 'done'),
    60_000,
    'the demo\'s first backup',
  );
  const first = backups.find((b) => b.method === 'manual' && b.status === 'done');
  await until(
    () => json(`/api/v1/databases/demo/backups/${first.id}`),
    (d) => d.verifications[0]?.outcome === 'passed',
    60_000 - (Date.now() - started),
    'the verification of the demo\'s first backup',
  );
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  const row = page.locator(`[data-testid="backup-row"][data-backup-id="${first.id}"]`);
  assert.match(await row.locator('[data-testid="proof-badge"]').innerText(), /^verified/);
  await page.locator('[data-testid="newest-verified"]').waitFor();
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('a new backup is verified on its own, and its evidence reads the same in the API and the pages', async () => {
  const job = await json('/api/v1/databases/demo/backups', { method: 'POST' });
  await until(() => json(`/api/v1/jobs/${job.id}`), (j) => j.state === 'succeeded', 60_000, 'the backup');
  const detail = await until(
    () => json(`/api/v1/databases/demo/backups/${job.id}`),
    (d) => d.verifications[0]?.outcome === 'passed',
    90_000,
    'the verification of the new backup',
  );
  const evidence = detail.verifications[0].evidence;
  assert.equal(evidence.tables.length, 3);

  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  const row = page.locator(`[data-testid="backup-row"][data-backup-id="${job.id}"]`);
  await row.waitFor();
  assert.match(await row.locator('[data-testid="proof-badge"]').innerText(), /verified (just now|\d+ minutes? ago)/);
  const line = await page.locator('[data-testid="newest-verified"]').innerText();
  assert.match(line, /Newest verified restore point/);
  assert.match(line, /restores in \d/);
  await page.screenshot({ path: screenshotPath('backups-verified-1280x800'), fullPage: true });

  // The backup's own page, from its id in the list.
  await row.getByRole('link', { name: job.id }).click();
  await page.waitForURL(`**/databases/demo/backups/${job.id}`);
  await page.locator('[data-testid="verification"][data-outcome="passed"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="backup-sha256"]').innerText(), detail.sha256);
  const counts = page.locator('[data-testid="row-counts"] tbody tr').first();
  await counts.waitFor();
  const rows = await page.locator('[data-testid="verification"]').first().locator('[data-testid="row-counts"] tbody tr').allInnerTexts();
  assert.equal(rows.length, 3);
  for (const t of evidence.tables) {
    const shown = rows.find((r) => r.includes(t.table));
    assert.ok(shown, `${t.table} is listed`);
    assert.ok(shown.includes(String(t.expected)) && shown.includes('✓'), `${t.table}: ${shown}`);
  }
  assert.match(await page.locator('[data-testid="amcheck"]').first().innerText(), /no corruption/);
  assert.match(await page.locator('[data-testid="recovery-time"]').first().innerText(), /restores in \d/);
  await page.screenshot({ path: screenshotPath('backup-page-1280x800'), fullPage: true });

  // "Restore from this backup" opens the restore form with it chosen.
  await page.locator('[data-testid="restore-this-backup"]').click();
  await page.waitForURL(`**/databases/demo?restore_backup=${job.id}#restore`);
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.ok(await page.locator('[data-testid="restore-from-backup"]').isChecked());
  assert.equal(await page.locator('[data-testid="restore-backup"]').inputValue(), job.id);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();

  const phone = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const onPhone = await openHydrated(server, phone, `/databases/demo/backups/${job.id}`);
  await onPhone.page.locator('[data-testid="row-counts"]').first().waitFor();
  await fitsWidth(onPhone.page);
  await onPhone.page.screenshot({ path: screenshotPath('backup-page-375x812'), fullPage: true });
  assert.deepEqual(onPhone.errors, [], 'no script errors on the phone');
  await phone.close();
});

test('a backup that is not there says so with a 404', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const page = await context.newPage();
  const response = await page.goto(`${server.url}/databases/demo/backups/nope`);
  assert.equal(response.status(), 404);
  await page.locator('[data-testid="backup-not-found"]').waitFor();
  await context.close();
});

test('the schedule form sets when backups are verified', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  const select = page.locator('[data-testid="schedule-verification"]');
  assert.equal(await select.inputValue(), 'after_each');
  await select.selectOption('off');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByRole('status').filter({ hasText: 'Schedule saved.' }).waitFor();
  const schedule = await json('/api/v1/databases/demo/schedule');
  assert.equal(schedule.verification, 'off');
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('the restore form offers this database\'s own dumps first, the newest chosen', async () => {
  const job = await json('/api/v1/databases/demo/dumps', { method: 'POST' });
  await until(() => json(`/api/v1/jobs/${job.id}`), (j) => j.state === 'succeeded', 60_000, 'the dump');
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  const own = page.locator('[data-testid="own-dumps"]');
  await own.waitFor({ state: 'attached' });
  assert.equal(await own.getAttribute('label'), 'This database');
  assert.equal(await page.locator('[data-testid="restore-source"]').inputValue(), job.id);
  assert.equal(await page.locator('[data-testid="other-dumps"]').count(), 0, 'no other database has dumps here');
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});
