// Shared set-up for the browser tests: a real Tidemark server on a free port, and Debian's Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const artifacts = path.resolve(here, '..', 'artifacts');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts the tidemark binary with a fresh data directory (and any extra environment);
 * resolves once it answers /api/v1/health. */
export async function startServer({ env = {} } = {}) {
  const bin = process.env.TIDEMARK_BIN || path.join(root, 'target', 'debug', 'tidemark');
  const dir = mkdtempSync(path.join(tmpdir(), 'tidemark-e2e-'));
  // PostgreSQL runs as an unprivileged user that must be able to enter this directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      TIDEMARK_DATA_DIR: path.join(dir, 'data'),
      TIDEMARK_LISTEN: `127.0.0.1:${port}`,
      TIDEMARK_SITE_ROOT: process.env.TIDEMARK_SITE_ROOT || path.join(root, 'target', 'site'),
      RUST_LOG: 'info',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`tidemark exited with ${child.exitCode} before it was ready:\n${log.join('')}`);
    }
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`tidemark was not ready in time:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  // The first start prints the admin's one-time password: log in with it, choose a new one as
  // Tidemark then asks, and make a token.
  const oneTime = log.join('').match(/one-time password (\S+)/)[1];
  const password = `browser tests ${oneTime}`;
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { origin: url },
    body: new URLSearchParams({ name: 'admin', password: oneTime, next: '/' }),
    redirect: 'manual',
  });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('tidemark_session=')).split(';')[0];
  const changed = await fetch(`${url}/api/v1/account/password`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ current: oneTime, new: password }),
  });
  if (!changed.ok) throw new Error(`cannot change the first password: ${changed.status} ${await changed.text()}`);
  const created = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { cookie, origin: url, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'browser tests' }),
  });
  const { token } = await created.json();

  return {
    url,
    log,
    oneTime,
    password,
    token,
    dataDir: path.join(dir, 'data'),
    /** fetch with the admin's API token. */
    fetch(target, options = {}) {
      return fetch(target, { ...options, headers: { ...(options.headers || {}), authorization: `Bearer ${token}` } });
    },
    /** A browser context logged in as the admin (its own session). */
    async context(browser, options = {}) {
      const context = await browser.newContext(options);
      const res = await fetch(`${url}/login`, {
        method: 'POST',
        headers: { origin: url },
        body: new URLSearchParams({ name: 'admin', password, next: '/' }),
        redirect: 'manual',
      });
      const value = res.headers.getSetCookie().find((c) => c.startsWith('tidemark_session=')).split(';')[0].split('=')[1];
      await context.addCookies([{ name: 'tidemark_session', value, url }]);
      return context;
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Debian's Chromium, headless; playwright gives every launch a fresh temporary profile. */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** Opens `path` in a new page of `context` and waits until it is interactive; page errors are
 * collected in `errors`. */
export async function openHydrated(server, context, path) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  return { page, errors };
}

export function screenshotPath(name) {
  mkdirSync(artifacts, { recursive: true });
  return path.join(artifacts, `${name}.png`);
}

/** An RFC 3339 time cut to whole seconds, as the page shows it. */
export function toSeconds(iso) {
  return new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 800 };

/** The psql command (program and arguments) that reaches the embedded cluster's demo database
 * through its private socket, as its owner. */
function psqlCommand(server, extra) {
  const cluster = path.join(server.dataDir, 'clusters', 'main');
  const conf = readFileSync(path.join(cluster, 'pgdata', 'tidemark.conf'), 'utf8');
  const port = conf.match(/^port = (\d+)/m)[1];
  const psql = ['/usr/lib/postgresql/15/bin/psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
    '-h', path.join(cluster, 'run'), '-p', port, '-U', 'postgres', '-d', 'demo', ...extra];
  const asRoot = process.getuid && process.getuid() === 0;
  return asRoot ? ['runuser', ['-u', 'postgres', '--', ...psql]] : [psql[0], psql.slice(1)];
}

/** Runs SQL on the embedded cluster's demo database. */
export function sql(server, statement) {
  const [program, args] = psqlCommand(server, ['-c', statement]);
  return execFileSync(program, args, { encoding: 'utf8', cwd: '/' });
}

/** The single value a query returns, as text, from a database of the embedded cluster. */
export function sqlValue(server, statement, db = 'demo') {
  const [program, args] = psqlCommand(server, ['-At', '-d', db, '-c', statement]);
  return execFileSync(program, args, { encoding: 'utf8', cwd: '/' }).trim();
}

/** Exact row counts of the demo tables in `db`, to compare a restored copy with the original. */
export function demoRows(server, db) {
  return Object.fromEntries(['customers', 'orders', 'page_views']
    .map((t) => [t, sqlValue(server, `SELECT count(*) FROM ${t}`, db)]));
}

/** Holds an exclusive lock on a table of the demo database until `release()`: a dump started
 * meanwhile waits for it, so a test can act on a job it knows is still running. */
export async function lockTable(server, table) {
  const [program, args] = psqlCommand(server, []);
  const child = spawn(program, args, { cwd: '/', stdio: ['pipe', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (d) => { errors += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.write(`BEGIN;\nLOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE;\n`);
  const held = `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE c.relname = '${table}' AND l.mode = 'AccessExclusiveLock' AND l.granted`;
  for (let i = 0; !/^\s*1\s*$/m.test(sql(server, held)); i++) {
    if (child.exitCode !== null || i > 300) {
      child.kill();
      throw new Error(`cannot lock ${table}: ${errors}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async release() {
      child.stdin.end('COMMIT;\n');
      const code = await exited;
      if (code !== 0) throw new Error(`the lock on ${table} ended badly (${code}): ${errors}`);
    },
  };
}

/** Starts the Scalingo API test server on a free port; resolves with the environment that points
 * Tidemark at it, and a way to stop it. */
export async function startScalingoFake() {
  const bin = process.env.SCALINGO_FAKE_BIN || path.join(root, 'target', 'debug', 'scalingo-fake');
  const port = await freePort();
  const log = [];
  const child = spawn(bin, ['--port', String(port)], {
    env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (d) => log.push(d.toString()));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  const env = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Scalingo test server did not start:\n${log.join('')}`)), 120_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const auth = out.match(/^SCALINGO_AUTH_URL=(\S+)$/m);
      const token = out.match(/^SCALINGO_API_TOKEN=(\S+)$/m);
      if (auth && token) {
        clearTimeout(timer);
        resolve({ SCALINGO_AUTH_URL: auth[1], SCALINGO_API_TOKEN: token[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`the Scalingo test server exited with ${code}:\n${log.join('')}`)));
  });
  return {
    env,
    log,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits until the job page open in `page` shows `state`; when it does not in time, fails with
 * what the page shows, what the API says of the job, and the server's last log lines. */
export async function waitForJobState(server, page, state, timeout = 60_000) {
  const pill = page.locator('[data-testid="job-state"]');
  try {
    await pill.filter({ hasText: new RegExp(`^\\s*${state}\\s*$`, 'i') }).waitFor({ timeout });
  } catch (e) {
    const id = page.url().split('/jobs/')[1]?.split(/[?#]/)[0];
    const shown = await pill.innerText().catch(() => '(no state on the page)');
    const progress = await page.locator('[data-testid="job-progress"]').innerText().catch(() => '');
    let job = '(no job id in the address)';
    if (id) {
      const res = await server.fetch(`${server.url}/api/v1/jobs/${id}`);
      job = `${res.status} ${await res.text()}`;
    }
    const tail = server.log.join('').split('\n').slice(-40).join('\n');
    throw new Error(`the job page at ${page.url()} shows "${shown}" (${progress}), not "${state}";\n`
      + `the API says: ${job}\nthe server's last lines:\n${tail}`, { cause: e });
  }
}

/** A TCP relay in front of the server, whose connections can really be cut: `drop()` closes every
 * open connection and refuses new ones (counting the attempts) until `restore()`. The session
 * cookie still applies, as cookies do not depend on the port. */
export async function startRelay(server) {
  const target = new URL(server.url);
  const sockets = new Set();
  let dropped = false;
  let refused = 0;
  const relay = createServer((client) => {
    if (dropped) {
      refused += 1;
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${relay.address().port}`,
    drop() { dropped = true; for (const s of sockets) s.destroy(); sockets.clear(); },
    restore() { dropped = false; },
    refused: () => refused,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); relay.close(resolve); }),
  };
}
