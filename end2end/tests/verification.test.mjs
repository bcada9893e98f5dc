// A backup proven by a test restore, in a real browser: the badge in the Backups tab, the newest
// verified restore point, and the backup's own page with its evidence, at desktop and phone sizes;
// a share link to it, a drill of the recoverable window, and a corrupted archive that fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

test('a share link opens a backup\'s page on a phone, read-only, and nothing else', async () => {
  const backups = await json('/api/v1/databases/demo/backups');
  const verified = [];
  for (const b of backups.filter((b) => b.method === 'manual' && b.status === 'done')) {
    const d = await json(`/api/v1/databases/demo/backups/${b.id}`);
    if (d.verifications[0]?.outcome === 'passed') verified.push(d);
  }
  const detail = verified[0];
  assert.ok(detail, 'a verified backup to share');

  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, `/databases/demo/backups/${detail.id}`);
  await page.locator('[data-testid="share-backup"]').click();
  const url = await page.locator('[data-testid="share-url"]').inputValue();
  assert.match(url, /\/s\/tms_/);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();

  // Someone without an account, on a phone.
  const phone = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const shared = await phone.newPage();
  const seen = [];
  shared.on('pageerror', (e) => seen.push(e.message));
  const response = await shared.goto(url.startsWith('http') ? url : `${server.url}${url}`);
  assert.equal(response.status(), 200);
  await shared.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await shared.locator('[data-testid="shared-note"]').waitFor();
  assert.equal(await shared.locator('[data-testid="backup-sha256"]').innerText(), detail.sha256);
  await shared.locator('[data-testid="verification"][data-outcome="passed"]').first().waitFor();
  assert.equal(await shared.locator('[data-testid="row-counts"]').first().locator('tbody tr').count(), 3);
  for (const absent of ['restore-this-backup', 'verify-backup', 'share-backup']) {
    assert.equal(await shared.locator(`[data-testid="${absent}"]`).count(), 0, `no ${absent}`);
  }
  assert.equal(await shared.getByRole('link', { name: 'Download' }).count(), 0, 'no download');
  const links = await shared.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links.filter((h) => h !== '#content'), [], 'no way into the dashboard');
  await fitsWidth(shared);
  await shared.screenshot({ path: screenshotPath('shared-backup-375x812'), fullPage: true });
  assert.deepEqual(seen, [], 'no script errors on the shared page');
  // The link opens that page alone: the dashboard still asks to log in.
  await shared.goto(`${server.url}/databases/demo`);
  assert.match(shared.url(), /\/login/);
  await phone.close();
});

test('a drill proves the recoverable window, and the Backups tab says so beside it', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  await page.locator('[data-testid="drill-block"]').waitFor();
  await page.locator('[data-testid="run-drill"]').click();
  await page.waitForURL('**/jobs/*');
  const id = page.url().split('/jobs/')[1];
  const job = await until(() => json(`/api/v1/jobs/${id}`), (j) => j.state !== 'queued' && j.state !== 'running', 120_000, 'the drill');
  assert.equal(job.state, 'succeeded', JSON.stringify(job));
  assert.equal(job.kind, 'pitr_drill');

  await page.goto(`${server.url}/databases/demo`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const line = await page.locator('[data-testid="drill"][data-outcome="passed"]').innerText();
  assert.match(line, /Drill passed/);
  assert.match(line, /replayed in \d/);
  assert.match(line, /before the target\) is there and the row written at .* \(after it\) is not/);
  const badges = await page.locator('[data-testid="repository-badge"]').allInnerTexts();
  assert.ok(badges.length >= 1, 'the physical backups show their repository check');
  for (const b of badges) assert.match(b, /^files checked/);
  await page.locator('#pitr-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('pitr-drill-1280x800'), fullPage: true });
  // A physical backup's own page lists the checks of its files.
  const physical = page.locator('[data-testid="backup-row"]').filter({ has: page.locator('[data-testid="repository-badge"]') }).first();
  const label = await physical.getAttribute('data-backup-id');
  await physical.getByRole('link', { name: label }).click();
  await page.waitForURL(`**/databases/demo/backups/${label}`);
  const check = page.locator('[data-testid="repository-check"][data-valid="true"]').first();
  await check.waitFor();
  assert.match(await check.innerText(), /(\d+) of \1 files valid/);
  assert.equal(await page.locator('[data-testid="restore-to-a-moment"]').count(), 1);
  assert.equal(await page.getByRole('link', { name: 'Download' }).count(), 0, 'a physical backup is not downloaded');
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();

  const phone = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const onPhone = await openHydrated(server, phone, '/databases/demo');
  await onPhone.page.locator('[data-testid="drill"][data-outcome="passed"]').waitFor();
  await fitsWidth(onPhone.page);
  await onPhone.page.screenshot({ path: screenshotPath('pitr-drill-375x812'), fullPage: true });
  await phone.close();
});

test('a corrupted archive fails its verification, as visibly as a failed backup', async () => {
  const job = await json('/api/v1/databases/demo/backups', { method: 'POST' });
  await until(() => json(`/api/v1/jobs/${job.id}`), (j) => j.state === 'succeeded', 60_000, 'the backup');
  const detail = await json(`/api/v1/databases/demo/backups/${job.id}`);
  // Bytes flipped in the middle of the real archive on disk.
  const file = path.join(server.dataDir, 'backups', 'demo', detail.file_name);
  const bytes = readFileSync(file);
  for (let i = 0; i < 16; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
  writeFileSync(file, bytes);

  const verification = await json(`/api/v1/databases/demo/backups/${job.id}/verifications`, { method: 'POST' });
  const ended = await until(() => json(`/api/v1/jobs/${verification.id}`), (j) => j.state !== 'queued' && j.state !== 'running', 90_000, 'the verification');
  assert.equal(ended.state, 'failed');

  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await openHydrated(server, context, '/databases/demo');
  assert.match(await page.locator('[data-testid="verification-failed"]').innerText(), /failed (its|their) verification/);
  const row = page.locator(`[data-testid="backup-row"][data-backup-id="${job.id}"]`);
  assert.equal(await row.locator('[data-testid="proof-badge"]').innerText(), 'verification failed');
  await page.screenshot({ path: screenshotPath('backups-verification-failed-1280x800'), fullPage: true });
  await row.getByRole('link', { name: job.id }).click();
  await page.waitForURL(`**/databases/demo/backups/${job.id}`);
  const failed = page.locator('[data-testid="verification"][data-outcome="failed"]').first();
  await failed.waitFor();
  assert.match(await failed.innerText(), /SHA-256/);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});
