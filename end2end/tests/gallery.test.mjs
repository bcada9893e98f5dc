// Every page at 1280x800 and 375x812: screenshots kept in end2end/artifacts/, no horizontal
// scrolling on a phone, a name for every control, finger-sized targets, and keyboard use with a
// visible focus ring.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, openHydrated, launchBrowser, screenshotPath, DESKTOP, PHONE } from './support.mjs';

let server;
let chrome;
let jobId;
let shareToken;

before(async () => {
  server = await startServer();
  chrome = await launchBrowser();
  // A finished dump gives the job pages something to show.
  const started = await server.fetch(`${server.url}/api/v1/databases/demo/dumps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(started.status, 202);
  jobId = (await started.json()).id;
  for (let i = 0; i < 240; i++) {
    const job = await (await server.fetch(`${server.url}/api/v1/jobs/${jobId}`)).json();
    if (job.state !== 'queued' && job.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const share = await server.fetch(`${server.url}/api/v1/jobs/${jobId}/share-links`, { method: 'POST' });
  assert.equal(share.status, 201);
  shareToken = (await share.json()).path.split('/s/')[1];
});

after(async () => {
  await chrome?.close();
  await server?.stop();
});

/** The pages a person opens, by name; `public` ones need no login. */
function pages() {
  return [
    { name: 'overview', path: '/' },
    { name: 'backups-tab', path: '/databases/demo' },
    { name: 'jobs', path: '/jobs' },
    { name: 'job', path: `/jobs/${jobId}` },
    { name: 'shared-job', path: `/s/${shareToken}`, public: true },
    { name: 'account', path: '/account' },
    { name: 'admin', path: '/admin' },
    { name: 'login', path: '/login', public: true },
    { name: 'not-found', path: '/no-such-page' },
    { name: 'job-not-found', path: '/jobs/no-such-job' },
  ];
}

/** Controls with no accessible name, and visible targets smaller than `min` pixels tall. */
function audit(min) {
  const named = (el) =>
    (el.labels && el.labels.length > 0) ||
    el.getAttribute('aria-label') ||
    el.getAttribute('aria-labelledby') ||
    el.getAttribute('title') ||
    (el.tagName === 'BUTTON' && el.textContent.trim()) ||
    (el.tagName === 'A' && el.textContent.trim());
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const controls = [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea, main button, main a[href], header a, header button')]
    .filter(visible);
  const unnamed = controls.filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
  const small = controls
    .filter((el) => !(el.tagName === 'A' && el.closest('p, li, td, nav.crumbs')) && !['checkbox', 'radio'].includes(el.type))
    .filter((el) => el.getBoundingClientRect().height < min)
    .map((el) => `${el.outerHTML.slice(0, 80)} is ${Math.round(el.getBoundingClientRect().height)}px tall`);
  return { unnamed, small };
}

for (const [size, viewport] of [['1280x800', DESKTOP], ['375x812', PHONE]]) {
  test(`every page at ${size}: screenshot, fits the width, every control named`, async () => {
    const phone = viewport === PHONE;
    const options = { viewport, ...(phone ? { isMobile: true, hasTouch: true } : {}) };
    const context = await server.context(chrome.browser, options);
    const anonymous = await chrome.browser.newContext(options);
    for (const p of pages()) {
      const { page, errors } = await openHydrated(server, p.public ? anonymous : context, p.path);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: screenshotPath(`page-${p.name}-${size}`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${p.path} is ${overflow}px wider than the screen at ${size}`);
      const { unnamed, small } = await page.evaluate(audit, phone ? 40 : 24);
      assert.deepEqual(unnamed, [], `${p.path} has controls without a name`);
      assert.deepEqual(small, [], `${p.path} has targets too small to tap at ${size}`);
      assert.deepEqual(errors, [], `${p.path} has no script errors`);
      await page.close();
    }
    await anonymous.close();
    await context.close();
  });
}

test('the Backups tab works from the keyboard, with a visible focus ring', async () => {
  const context = await server.context(chrome.browser, { viewport: DESKTOP });
  const { page } = await openHydrated(server, context, '/databases/demo');
  await page.waitForLoadState('networkidle');
  // The first Tab lands on the skip link, which jumps to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'content');

  const seen = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const ring = style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0);
      return { tag: el.tagName, text: (el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 40), ring };
    });
    if (focus.tag === 'BODY') break;
    assert.ok(focus.ring, `${focus.tag} "${focus.text}" shows no focus ring`);
    seen.push(focus.text);
  }
  for (const control of ['Trigger manual backup', 'Start a dump', 'Restore']) {
    assert.ok(seen.some((t) => t.startsWith(control)), `Tab reaches "${control}" (saw ${seen.join(' | ')})`);
  }

  // The schedule changes from the keyboard alone: the arrow key picks the next hour, Enter saves.
  const hour = page.getByTestId('schedule-hour');
  const before = Number(await hour.inputValue());
  await hour.focus();
  await page.keyboard.press('ArrowDown');
  const picked = Number(await hour.inputValue());
  assert.equal(picked, (before + 1) % 24);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'schedule-verification');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Save schedule');
  await page.keyboard.press('Enter');
  await page.getByText('Schedule saved.').waitFor();
  const schedule = await (await server.fetch(`${server.url}/api/v1/databases/demo/schedule`)).json();
  assert.equal(schedule.hour, picked);
  await context.close();
});
