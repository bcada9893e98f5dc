// The job page people share: live progress from the event stream, correct after a reload,
// readable before scripts run, and a download at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, screenshotPath, sql, lockTable, startRelay, waitForJobState, PHONE, DESKTOP } from './support.mjs';

let server;
let chrome;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
  // Enough data that a dump takes a few seconds, so the page can be watched while it runs.
  sql(server, "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS v FROM generate_series(1, 1500000) g");
});

after(async () => {
  await chrome?.close();
  assert.equal(await server?.stop(), 0, 'tidemark stops cleanly');
});

async function startDump() {
  const res = await server.fetch(`${server.url}/api/v1/databases/demo/dumps`, { method: 'POST' });
  assert.equal(res.status, 202);
  return res.json();
}

test('a running dump updates its page live until it succeeds, also after a reload', async () => {
  const job = await startDump();
  const context = await server.context(chrome.browser, { viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(`${server.url}/jobs/${job.id}`);
  assert.equal(response.status(), 200);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.match(await page.locator('h1').innerText(), /Dump of demo/);

  // While it runs, the bar and the counts move without any reload.
  await page.waitForFunction(() => /of 4 tables/.test(document.querySelector('[data-testid="job-progress"]').textContent), null, { timeout: 30_000 });
  await page.screenshot({ path: screenshotPath('job-running-375x812'), fullPage: true });

  // A reload in the middle shows the same job, still following it.
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="job-state"]').textContent === 'succeeded', null, { timeout: 60_000 });
  assert.equal(await page.getAttribute('[role="progressbar"]', 'aria-valuenow'), '100');
  assert.match(await page.locator('[data-testid="job-progress"]').innerText(), /100%.*4 of 4 tables/);
  // Its outcome arrives without a reload: the summary and the download of the finished dump.
  await page.locator('[data-testid="job-summary"]', { hasText: /Dumped 4 tables/ }).waitFor({ timeout: 10_000 });
  const link = page.locator('[data-testid="job-artifact"]');
  await link.waitFor({ timeout: 10_000 });
  assert.match(await link.innerText(), /Download demo_\d{14}\.dump/);
  await page.screenshot({ path: screenshotPath('job-finished-live-375x812'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the job page is ${overflow}px wider than the phone`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a finished job page is complete before scripts run, with its download', async () => {
  const job = await startDump();
  for (let i = 0; i < 600; i++) {
    const j = await (await server.fetch(`${server.url}/api/v1/jobs/${job.id}`)).json();
    if (j.state === 'succeeded') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const context = await server.context(chrome.browser, { viewport: DESKTOP, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/jobs/${job.id}`);
  assert.equal(await page.locator('[data-testid="job-state"]').innerText(), 'succeeded');
  assert.match(await page.locator('[data-testid="job-progress"]').innerText(), /100%/);
  const href = await page.getAttribute('[data-testid="job-artifact"]', 'href');
  const res = await server.fetch(`${server.url}${href}`);
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.slice(0, 5)), 'PGDMP');
  await page.screenshot({ path: screenshotPath('job-finished-1280x800'), fullPage: true });
  await context.close();
});

test('an unknown job is a proper not-found page', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const page = await context.newPage();
  const response = await page.goto(`${server.url}/jobs/20260101000000-nosuchjob`);
  assert.equal(response.status(), 404);
  await page.locator('[data-testid="job-not-found"]').waitFor();
  await context.close();
});

test('a share link opens the live job page on a phone without logging in, and nothing else', async () => {
  const job = await startDump();
  const mine = await server.context(chrome.browser, { viewport: DESKTOP });
  const page = await mine.newPage();
  await page.goto(`${server.url}/jobs/${job.id}`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Create a share link' }).click();
  const url = await page.locator('[data-testid="share-url"]').inputValue();
  assert.match(url, new RegExp(`^${server.url}/s/tms_[A-Za-z0-9]{40}$`));
  await mine.close();

  // Someone else, not logged in, on a phone.
  const theirs = await chrome.browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const shared = await theirs.newPage();
  const errors = [];
  shared.on('pageerror', (e) => errors.push(e.message));
  const response = await shared.goto(url);
  assert.equal(response.status(), 200);
  await shared.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  // The database by its name, and only the status: not who started it, nor the log.
  assert.match(await shared.locator('h1').innerText(), /Dump of Demo/);
  assert.doesNotMatch(await shared.locator('main').innerText(), /by admin/);
  assert.equal(await shared.locator('[data-testid="job-log"]').count(), 0, 'no log through a share link');
  await shared.waitForFunction(() => document.querySelector('[data-testid="job-state"]').textContent === 'succeeded', null, { timeout: 60_000 });
  assert.equal(await shared.locator('[data-testid="job-artifact"]').count(), 0, 'no download through a share link');
  assert.equal(await shared.locator('[data-testid="share-job"]').count(), 0);
  await shared.screenshot({ path: screenshotPath('shared-job-375x812'), fullPage: true });
  // The rest of Tidemark asks them to log in.
  const other = await shared.goto(`${server.url}/databases/demo`);
  assert.match(other.url(), /\/login\?next=/);
  assert.deepEqual(errors, []);
  await theirs.close();
});

test('a running job is cancelled from its page, which shows it stopped', async () => {
  // The dump waits for this lock, so it is still running when the button is pressed.
  const lock = await lockTable(server, 'big');
  try {
    const job = await startDump();
    const context = await server.context(chrome.browser, { viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${server.url}/jobs/${job.id}`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    await page.getByTestId('cancel-job').click();
    await waitForJobState(server, page, 'cancelled', 30_000);
    await page.getByTestId('cancel-job').waitFor({ state: 'detached' });
    const after = await (await server.fetch(`${server.url}/api/v1/jobs/${job.id}`)).json();
    assert.equal(after.state, 'cancelled');
    assert.equal(after.artifact, null, 'a cancelled dump leaves no file');
    await context.close();
  } finally {
    await lock.release();
  }
});

test('a dropped connection is resumed where it stopped, and the page ends right', async () => {
  // The dump waits for this lock until the page follows it; then the connection is cut for real
  // (a relay between the browser and the server closes it) while the dump goes on and ends.
  const lock = await lockTable(server, 'big');
  const relay = await startRelay(server);
  let released = false;
  try {
    const job = await startDump();
    const context = await server.context(chrome.browser, { viewport: DESKTOP });
    const page = await context.newPage();
    const streams = [];
    page.on('request', (r) => { if (r.url().includes('/events')) streams.push(r.url()); });
    await page.goto(`${relay.url}/jobs/${job.id}`);
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
    await waitForJobState(server, page, 'running', 30_000);
    await until(() => streams.length >= 1, 'the page opens the event stream');
    relay.drop();
    await until(() => relay.refused() >= 1, 'the page tries to reconnect');
    // What the page had when the connection went: the point it must resume from.
    const had = Number(await page.locator('[data-last-event]').getAttribute('data-last-event'));
    assert.ok(had > 0, `the page knew its job's first events (${had})`);
    const cut = streams.length;
    await lock.release();
    released = true;
    // The dump ends while the page cannot hear it, and the page tries in vain to reconnect.
    for (let i = 0; ; i++) {
      const now = await (await server.fetch(`${server.url}/api/v1/jobs/${job.id}`)).json();
      if (now.state === 'succeeded') break;
      assert.ok(i < 600, `the dump did not end: ${now.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    relay.restore();
    await waitForJobState(server, page, 'succeeded', 60_000);
    assert.match(await page.locator('[data-testid="job-progress"]').innerText(), /100%.*4 of 4 tables/);
    // Every stream after the cut asked for what came after the events the page had: never from
    // where the page first started, and nothing twice.
    const resumed = streams.slice(cut).map((u) => Number(new URL(u).searchParams.get('after')));
    assert.ok(resumed.length > 0, `the stream was opened again: ${streams.join('\n')}`);
    assert.ok(resumed.every((n) => n === had), `resumed after ${resumed}, the page had ${had}:\n${streams.join('\n')}`);
    await context.close();
  } finally {
    if (!released) await lock.release();
    await relay.close();
  }
});

/** Waits up to 30 s for `check()` to hold; fails with `what` otherwise. */
async function until(check, what) {
  for (let i = 0; !check(); i++) {
    if (i >= 300) assert.fail(typeof what === 'function' ? what() : what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
