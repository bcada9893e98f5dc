// The Backups tab in a real browser: the same window and backups as the API, at desktop and phone sizes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, screenshotPath, toSeconds, waitForJobState, PHONE, DESKTOP } from './support.mjs';

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
  assert.match(server.log.join(''), /stopping the cluster/);
});

async function api(path) {
  const res = await server.fetch(`${server.url}${path}`);
  assert.equal(res.status, 200, `${path} answers 200`);
  return res.json();
}

async function openPage(viewport, path, options = {}) {
  const context = await server.context(chrome.browser, { viewport, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(`${server.url}${path}`);
  return { context, page, response, errors };
}

test('the overview lists the demo database and leads to its Backups tab', async () => {
  const { context, page, errors } = await openPage(DESKTOP, '/');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  const card = page.locator('[data-testid="database-list"] li', { hasText: 'Demo' });
  await assert.doesNotReject(card.waitFor());
  assert.match(await card.innerText(), /PostgreSQL 15/);
  assert.match(await card.innerText(), /Running/);
  await page.screenshot({ path: screenshotPath('overview-1280x800'), fullPage: true });
  await card.getByRole('link').click();
  await page.waitForURL('**/databases/demo');
  await page.locator('h1', { hasText: 'Demo' }).waitFor();
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('the Backups tab shows the same window and backups as the API', async () => {
  const windowBefore = await api('/api/v1/databases/demo/pitr');
  const backups = await api('/api/v1/databases/demo/backups');
  assert.ok(windowBefore.available, 'the embedded cluster has a recoverable window');
  assert.ok(backups.length >= 1, 'the embedded cluster has at least one backup');

  const { context, page, response, errors } = await openPage(DESKTOP, '/databases/demo');
  assert.equal(response.status(), 200);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  const windowAfter = await api('/api/v1/databases/demo/pitr');

  const earliest = await page.getAttribute('[data-testid="pitr-earliest"]', 'datetime');
  const latest = await page.getAttribute('[data-testid="pitr-latest"]', 'datetime');
  assert.equal(earliest, toSeconds(windowBefore.earliest));
  // The latest point moves as WAL is archived: the page's value lies between the two API reads.
  assert.ok(latest >= toSeconds(windowBefore.latest) && latest <= toSeconds(windowAfter.latest),
    `page latest ${latest} within [${windowBefore.latest}, ${windowAfter.latest}]`);

  const rows = page.locator('[data-testid="backup-row"]');
  assert.equal(await rows.count(), backups.length);
  for (let i = 0; i < backups.length; i++) {
    assert.equal(await rows.nth(i).getAttribute('data-backup-id'), backups[i].id);
    const text = await rows.nth(i).innerText();
    const label = {
      physical_full: 'Full (physical)',
      physical_differential: 'Differential (physical)',
      physical_incremental: 'Incremental (physical)',
      periodic: 'Scheduled',
      manual: 'Manual',
    }[backups[i].method];
    assert.ok(text.includes(label), `row ${i} says ${label}: ${text}`);
    assert.match(text, /Done/);
    assert.match(text, /\d+(\.\d)? (kB|MB|GB)/, 'the size is shown in units');
  }
  await page.screenshot({ path: screenshotPath('backups-tab-1280x800'), fullPage: true });
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('at phone width the Backups tab fits without horizontal scrolling', async () => {
  const { context, page } = await openPage(PHONE, '/databases/demo', { isMobile: true, hasTouch: true });
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.locator('[data-testid="backup-row"]').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  // The table turns into labelled cards.
  assert.match(await page.locator('[data-testid="backup-row"] td').nth(1).evaluate((td) => getComputedStyle(td, '::before').content), /Started/);
  await page.screenshot({ path: screenshotPath('backups-tab-375x812'), fullPage: true });
  await context.close();

  const overview = await openPage(PHONE, '/', { isMobile: true });
  const wide = await overview.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(wide <= 0, `the overview is ${wide}px wider than the screen`);
  await overview.page.screenshot({ path: screenshotPath('overview-375x812'), fullPage: true });
  await overview.context.close();
});

test('the Backups tab is readable before any script runs', async () => {
  const { context, page } = await openPage(DESKTOP, '/databases/demo', { javaScriptEnabled: false });
  assert.match(await page.locator('[data-testid="pitr-earliest"]').innerText(), /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  assert.ok(await page.locator('[data-testid="backup-row"]').count() >= 1);
  await context.close();
});

test('an unknown database is a proper not-found page', async () => {
  const { context, page, response } = await openPage(DESKTOP, '/databases/no-such-db');
  assert.equal(response.status(), 404);
  await page.locator('[data-testid="database-not-found"]').waitFor();
  assert.match(await page.locator('h1').innerText(), /Database not found/);
  await page.screenshot({ path: screenshotPath('not-found-1280x800') });
  await context.close();
});

test('"Trigger manual backup" opens the job, which finishes, and the backup is listed to download', async () => {
  const { context, page, errors } = await openPage(DESKTOP, '/databases/demo');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Trigger manual backup' }).click();
  await page.waitForURL('**/jobs/*', { timeout: 30_000 });
  const jobId = page.url().split('/jobs/')[1];
  await waitForJobState(server, page, 'succeeded', 60_000);

  const backups = await api('/api/v1/databases/demo/backups');
  const manual = backups.find((b) => b.method === 'manual');
  assert.ok(manual, 'the API lists the manual backup');
  assert.equal(manual.id, jobId, 'the backup is the job the page followed');
  await page.goto(`${server.url}/databases/demo`);
  const row = page.locator(`[data-backup-id="${manual.id}"]`);
  assert.match(await row.innerText(), /Manual/);
  const href = await row.getByRole('link', { name: 'Download' }).getAttribute('href');
  const res = await server.fetch(`${server.url}${href}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition'), /_demo\.tar\.gz/);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('a changed schedule is saved, shows its next run, and stays after a reload', async () => {
  const { context, page, errors } = await openPage(DESKTOP, '/databases/demo');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.locator('[data-testid="schedule-hour"]').selectOption('7');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByRole('status').filter({ hasText: 'Schedule saved.' }).waitFor();
  await page.locator('[data-testid="schedule-summary"]', { hasText: '07:00 UTC' }).waitFor();
  const next = await page.getAttribute('[data-testid="schedule-next"]', 'datetime');
  assert.match(next, /T07:00:00Z$/);

  const api7 = await api('/api/v1/databases/demo/schedule');
  assert.equal(api7.hour, 7);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="schedule-hour"]').inputValue(), '7');

  // Turned off: no next run.
  await page.getByLabel('Daily backup').uncheck();
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.locator('[data-testid="schedule-summary"]', { hasText: 'Daily backups are off.' }).waitFor();
  assert.equal(await page.locator('[data-testid="schedule-next"]').count(), 0);
  assert.equal((await api('/api/v1/databases/demo/schedule')).enabled, false);
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});

test('the account page makes an API token that works, and the admin page adds a user and shows the audit log', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/account`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.match(await page.locator('[data-testid="account-who"]').innerText(), /admin, admin/);
  await page.getByLabel('Label').fill('export script');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.locator('[data-testid="new-token"]').inputValue();
  assert.match(token, /^tm_/);
  const res = await fetch(`${server.url}/api/v1/account`, { headers: { authorization: `Bearer ${token}` } });
  assert.deepEqual(await res.json(), { name: 'admin', role: 'viewer', via: 'token' });
  await page.locator('[data-testid="token-row"]', { hasText: 'export script' }).waitFor();

  await page.goto(`${server.url}/admin`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByLabel('Name').fill('olga');
  await page.getByLabel('Role').selectOption('operator');
  await page.getByRole('button', { name: 'Add user' }).click();
  const password = await page.locator('[data-testid="new-password"]').inputValue();
  assert.equal(password.length, 20);
  await page.locator('[data-testid="user-row"]', { hasText: 'olga' }).waitFor();
  await page.locator('[data-testid="audit-row"]', { hasText: 'created as operator' }).waitFor();
  await page.screenshot({ path: screenshotPath('admin-1280x800'), fullPage: true });

  // Olga logs in with it, must first choose her own password, and as an operator she then
  // cannot open the admin page's data.
  const hers = await chrome.browser.newContext({ viewport: PHONE, isMobile: true });
  const login = await hers.newPage();
  await login.goto(`${server.url}/admin`);
  assert.match(login.url(), /\/login\?next=\/admin$/);
  await login.getByLabel('Name').fill('olga');
  await login.getByLabel('Password').fill(password);
  await login.getByRole('button', { name: 'Log in' }).click();
  await login.waitForURL('**/account?first=1&next=/admin');
  await login.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await login.locator('[data-testid="password-first"]').waitFor();
  // Nothing else opens until the password is changed.
  const held = await hers.request.get(`${server.url}/api/v1/databases`);
  assert.equal(held.status(), 403);
  assert.equal((await held.json()).error.code, 'password_change_required');
  await login.getByLabel('Current password').fill(password);
  await login.getByLabel('New password (12 characters or more)').fill('olga chose this one');
  await login.getByLabel('New password again').fill('olga chose this one');
  await login.getByRole('button', { name: 'Change password' }).click();
  await login.locator('[data-testid="password-continue"]').click();
  await login.waitForURL('**/admin');
  await login.getByRole('alert').filter({ hasText: /admin role/ }).waitFor();
  const overflow = await login.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await hers.close();
  assert.deepEqual(errors, [], 'no script errors');
  await context.close();
});
