// The Scalingo provider in a real browser, against the Scalingo API test server: a Shared
// Resources database's schedule and manual backup, the PITR review naming what Scalingo does not
// keep, a Dedicated Resources database's firewall rules and reachability, and TimescaleDB's limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openHydrated, startScalingoFake, launchBrowser, screenshotPath, DESKTOP, PHONE } from './support.mjs';

let fake;
let server;
let chrome;

before(async () => {
  fake = await startScalingoFake();
  server = await startServer({ env: fake.env });
  chrome = await launchBrowser();
});

after(async () => {
  await chrome?.close();
  await server?.stop();
  await fake?.stop();
});

const open = (context, path) => openHydrated(server, context, path);

test('a Shared Resources database: its schedule at Scalingo, a manual backup, and the PITR review', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page: overview } = await open(context, '/');
  const names = await overview.locator('.db-card-name').allInnerTexts();
  for (const name of ['shop', 'ledger', 'metrics', 'vault']) {
    assert.ok(names.includes(name), `${name} is listed: ${names}`);
  }
  assert.ok(!names.includes('frontend'), 'an app without PostgreSQL is not listed');
  await overview.close();

  const { page, errors } = await open(context, '/databases/shop-osc-fr1');
  await page.getByText('Scalingo · Shared Resources').first().waitFor();
  assert.match(await page.getByTestId('schedule-summary').innerText(), /Scalingo takes a logical backup every day at 00:00 UTC/);
  await page.getByTestId('schedule-hour').selectOption('6');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByText('Schedule saved.').waitFor();
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.match(await page.getByTestId('schedule-summary').innerText(), /06:00 UTC/);
  const schedule = await (await server.fetch(`${server.url}/api/v1/databases/shop-osc-fr1/schedule`)).json();
  assert.equal(schedule.hour, 6);

  assert.equal(await page.getByTestId('backup-row').count(), 4);
  assert.match(await page.getByTestId('pitr-safety').innerText(), /Scalingo keeps no copy/);
  await page.screenshot({ path: screenshotPath('scalingo-shared-desktop'), fullPage: true });

  await page.getByTestId('trigger-backup').click();
  await page.waitForURL(/\/jobs\//);
  await page.getByText('Succeeded').first().waitFor({ timeout: 60_000 });
  await page.getByText(/Scalingo took backup/).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a Dedicated Resources database: firewall rules added, refused and removed, on a phone too', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page, errors } = await open(context, '/databases/ledger-osc-fr1');
  await page.getByTestId('dedicated-backups').waitFor();
  await page.getByTestId('reachability').waitFor();
  assert.match(await page.getByTestId('reachability').innerText(), /reaches/);
  assert.equal(await page.getByTestId('firewall-rule').count(), 2);
  assert.equal(await page.getByTestId('trigger-backup').count(), 0, 'no manual backups here');

  // A prefix too long passes the page's shape check; the server names the problem.
  await page.getByLabel('Address range (CIDR)').fill('10.0.0.0/33');
  await page.getByLabel('Label', { exact: true }).fill('VPN');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.getByRole('alert').filter({ hasText: 'prefix length' }).waitFor();
  assert.equal(await page.getByTestId('firewall-rule').count(), 2, 'nothing added');

  await page.getByLabel('Address range (CIDR)').fill('198.51.100.0/24');
  await page.getByLabel('Label', { exact: true }).fill('VPN');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await page.getByTestId('firewall-rule').filter({ hasText: '198.51.100.0/24' }).waitFor();
  assert.equal(await page.getByTestId('firewall-rule').count(), 3);
  await page.getByRole('button', { name: 'Remove the rule 198.51.100.0/24' }).click();
  await page.getByTestId('firewall-rule').filter({ hasText: '198.51.100.0/24' }).waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('firewall-rule').count(), 2);
  await page.screenshot({ path: screenshotPath('scalingo-dedicated-desktop'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  const phone = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const { page: small } = await open(phone, '/databases/ledger-osc-fr1');
  await small.getByTestId('firewall').waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow}px)`);
  await small.screenshot({ path: screenshotPath('scalingo-dedicated-phone'), fullPage: true });
  await phone.close();
});

test('a TimescaleDB database states its limits', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page } = await open(context, '/databases/metrics-osc-fr1');
  const notes = await page.getByTestId('timescale-notes').innerText();
  assert.match(notes, /cannot be restored into a Scalingo database by you/);
  assert.match(notes, /one hypertable cannot be backed up/);
  assert.match(notes, /same TimescaleDB version/);
  await context.close();
});
