// Dumps and restores from the Backups tab, and the jobs pages: a dump started and downloaded, its
// restore checked then run into a new database, an in-place restore held until the name is typed,
// restores of a backup and of a file sent from the browser, the database's recent activity, and
// /jobs with its filters, at desktop and phone sizes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startServer, openHydrated, launchBrowser, screenshotPath, demoRows, waitForJobState, DESKTOP, PHONE } from './support.mjs';

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

const open = (context, path) => openHydrated(server, context, path);

test('a dump is started, downloaded, checked and restored into a new database', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await open(context, '/databases/demo');
  await page.getByTestId('start-dump').click();
  await page.waitForURL(/\/jobs\//);
  await waitForJobState(server, page, 'succeeded', 60_000);
  const link = page.getByTestId('job-artifact');
  await link.waitFor();
  const download = await server.fetch(new URL(await link.getAttribute('href'), server.url));
  assert.equal(download.status, 200);
  assert.equal(Buffer.from(await download.arrayBuffer()).subarray(0, 5).toString(), 'PGDMP');

  await page.goto(`${server.url}/databases/demo`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByTestId('restore-source').waitFor();
  await page.getByTestId('restore-new-name').fill('demo_copy');
  await page.getByTestId('restore-check').click();
  await page.getByTestId('preflight-check').first().waitFor();
  const checks = await page.getByTestId('preflight-check').allInnerTexts();
  assert.ok(checks.length >= 3 && checks.every((c) => c.startsWith('OK')), checks.join('\n'));

  // In place waits for the database's name.
  await page.getByTestId('restore-in-place').check();
  assert.equal(await page.getByTestId('restore-start').isDisabled(), true);
  await page.getByTestId('restore-confirm-name').fill('dem');
  assert.equal(await page.getByTestId('restore-start').isDisabled(), true);
  await page.getByTestId('restore-confirm-name').fill('demo');
  assert.equal(await page.getByTestId('restore-start').isDisabled(), false);
  await page.getByLabel(/a new database named/).check();
  await page.screenshot({ path: screenshotPath('dumps-block-1280x800'), fullPage: true });

  await page.getByTestId('restore-start').click();
  await page.waitForURL(/\/jobs\//);
  await waitForJobState(server, page, 'succeeded', 60_000);
  assert.deepEqual(demoRows(server, 'demo_copy'), demoRows(server, 'demo'));
  assert.equal(demoRows(server, 'demo').customers, '200');
  assert.deepEqual(errors, []);
  await context.close();
});

test('recent activity and /jobs list the jobs, filtered, on a desktop and a phone', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page } = await open(context, '/databases/demo');
  const recent = page.getByTestId('recent-activity');
  await recent.getByTestId('job-row').first().waitFor();
  assert.ok((await recent.getByTestId('job-row').count()) >= 2);

  await recent.getByRole('link', { name: 'All jobs' }).click();
  await page.waitForURL(/\/jobs\?database=demo/);
  await page.waitForSelector('body[data-hydrated="true"]');
  const all = await page.getByTestId('job-row').count();
  assert.ok(all >= 2, `${all} jobs`);
  await page.getByLabel('Kind').selectOption('dump');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/kind=dump/);
  await page.getByTestId('job-row').first().waitFor();
  const kinds = await page.getByTestId('job-row').locator('td').first().allInnerTexts();
  assert.ok(kinds.length >= 1 && kinds.every((k) => k === 'Dump'), kinds.join(','));
  await page.screenshot({ path: screenshotPath('jobs-1280x800'), fullPage: true });
  await context.close();

  const phone = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  for (const [name, path] of [['jobs', '/jobs'], ['backups-tab-dumps', '/databases/demo']]) {
    const { page: small } = await open(phone, path);
    const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
    await small.screenshot({ path: screenshotPath(`${name}-375x812`), fullPage: true });
  }
  await phone.close();
});

/** Takes a manual backup through the API and waits for it. */
async function manualBackup() {
  const res = await server.fetch(`${server.url}/api/v1/databases/demo/backups`, { method: 'POST' });
  assert.equal(res.status, 202);
  const { id } = await res.json();
  for (let i = 0; i < 240; i++) {
    const job = await (await server.fetch(`${server.url}/api/v1/jobs/${id}`)).json();
    if (job.state === 'succeeded') return;
    assert.ok(job.state === 'queued' || job.state === 'running', `the backup ended ${job.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail('the backup did not finish');
}

async function restoreInto(page, name) {
  await page.getByTestId('restore-new-name').fill(name);
  await page.getByTestId('restore-start').click();
  await page.waitForURL(/\/jobs\//);
  await page.locator('[data-testid="job-state"]', { hasText: /succeeded|failed|cancelled|interrupted/i }).waitFor({ timeout: 60_000 });
  const ended = await page.getByTestId('job-state').innerText();
  assert.equal(ended, 'succeeded', `the restore ended ${ended}: ${await page.getByTestId('job-summary').innerText()}\n${await page.getByTestId('job-log').innerText()}`);
  assert.deepEqual(demoRows(server, name), demoRows(server, 'demo'));
}

test('a backup is made ready, checked and restored into a new database', async () => {
  await manualBackup();
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await open(context, '/databases/demo');
  await page.getByTestId('restore-from-backup').check();
  assert.equal(await page.getByTestId('restore-start').isDisabled(), true, 'nothing to restore until the backup is ready');
  await page.getByTestId('restore-backup-ready').click();
  await page.getByTestId('restore-staged').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('restore-staged').innerText(), /Ready to restore: .*taken out of its archive\. Kept on the server until \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC/);
  await page.getByTestId('restore-new-name').fill('from_backup');
  await page.getByTestId('restore-check').click();
  await page.getByTestId('preflight-check').first().waitFor();
  const checks = await page.getByTestId('preflight-check').allInnerTexts();
  assert.ok(checks.every((c) => c.startsWith('OK')), checks.join('\n'));
  await restoreInto(page, 'from_backup');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a file from the computer is sent, refused when it is no dump, and restored when it is one', async () => {
  await manualBackup();
  const archive = await server.fetch(`${server.url}/api/v1/databases/demo/backups/latest/download`);
  assert.equal(archive.status, 200);
  const dir = mkdtempSync(path.join(tmpdir(), 'tidemark-upload-'));
  const good = path.join(dir, 'demo-backup.tar.gz');
  writeFileSync(good, Buffer.from(await archive.arrayBuffer()));
  const plain = path.join(dir, 'notes.sql');
  writeFileSync(plain, '-- a plain dump\nCREATE TABLE t (id int);\n');

  const context = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const { page, errors } = await open(context, '/databases/demo');
  await page.getByTestId('restore-from-file').check();
  await page.getByTestId('restore-file').setInputFiles(plain);
  await page.getByTestId('restore-staged-error').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('restore-staged-error').innerText(), /plain SQL dump/);
  assert.equal(await page.getByTestId('restore-start').isDisabled(), true, 'a refused file cannot be restored');

  await page.getByTestId('restore-file').setInputFiles(good);
  await page.getByTestId('restore-staged').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('restore-staged').innerText(), /Ready to restore/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the restore form is ${overflow}px wider than the phone`);
  await page.screenshot({ path: screenshotPath('restore-upload-375x812'), fullPage: true });
  await restoreInto(page, 'from_file');
  assert.deepEqual(errors, []);
  await context.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a large file shows how much of it has been sent, then what the server found', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidemark-upload-'));
  const file = path.join(dir, 'large.dump');
  writeFileSync(file, randomBytes(3 * 1024 * 1024));
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await open(context, '/databases/demo');
  // A slow link (512 kB/s up), so the 3 MB take a few seconds.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024,
  });
  await page.getByTestId('restore-from-file').check();
  await page.getByTestId('restore-file').setInputFiles(file);
  const bar = page.getByRole('progressbar', { name: 'Upload progress' });
  await page.waitForFunction(() => {
    const now = Number(document.querySelector('[aria-label="Upload progress"]')?.getAttribute('aria-valuenow'));
    return now > 0 && now < 100;
  }, null, { timeout: 30_000 });
  assert.match(await page.getByTestId('upload-progress').innerText(), /Sending large\.dump: \d+% \([\d.]+ [kM]B of 3\.1 MB\)/);
  await page.getByTestId('restore-staged-error').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('restore-staged-error').innerText(), /not a PostgreSQL dump/);
  assert.equal(await bar.isVisible(), false, 'the bar goes once the server has answered');
  assert.deepEqual(errors, []);
  await context.close();
  rmSync(dir, { recursive: true, force: true });
});
