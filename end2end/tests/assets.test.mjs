// The site's files as a browser gets them: content-hashed names kept for a year, compressed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

test('scripts, styles and wasm have hashed names, long cache lives and compression', async () => {
  const html = await (await server.fetch(`${server.url}/databases/demo`)).text();
  const files = [...new Set(html.match(/\/pkg\/tidemark\.[A-Za-z0-9_-]+\.(js|wasm|css)/g))];
  assert.equal(files.length, 3, `one script, one wasm bundle, one stylesheet: ${files}`);
  for (const file of files) {
    const res = await fetch(`${server.url}${file}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
    assert.equal(res.headers.get('content-encoding'), 'gzip', file);
  }
  // Not logged in, the files still load (the login page needs them), but pages do not.
  const page = await fetch(`${server.url}/databases/demo`, { redirect: 'manual' });
  assert.equal(page.status, 303);
});
