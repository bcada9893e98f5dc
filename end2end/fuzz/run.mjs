// Fuzzes the REST API with schemathesis from its own OpenAPI document, as an admin, against a real
// server with its embedded cluster: no 5xx, and every error in the documented shape. Prints counts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startServer, root } from '../tests/support.mjs';

const st = process.env.SCHEMATHESIS || path.join(root, '.tools', 'fuzz', 'bin', 'st');
const examples = process.env.FUZZ_EXAMPLES || '20';
const server = await startServer();
const report = mkdtempSync(path.join(tmpdir(), 'tidemark-fuzz-'));
let code = 1;
try {
  code = await new Promise((resolve) => {
    const child = spawn(st, [
      '--config-file', path.join(root, 'end2end', 'fuzz', 'schemathesis.toml'),
      'run', `${server.url}/api/v1/openapi.json`,
      '--url', server.url,
      '--checks', 'not_a_server_error,error_shape',
      '--phases', 'examples,coverage,fuzzing',
      '--max-examples', examples,
      '--workers', '1',
      '--seed', '1',
      '--request-timeout', '60',
      '--report', 'junit', '--report-dir', report,
      '--no-color',
    ], {
      env: {
        ...process.env,
        TIDEMARK_FUZZ_TOKEN: server.token,
        SCHEMATHESIS_HOOKS: 'hooks',
        PYTHONPATH: path.join(root, 'end2end', 'fuzz'),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', (e) => {
      console.error(`schemathesis could not be started (${e.code}); scripts/setup.sh installs it`);
      resolve(1);
    });
    child.on('exit', (c) => resolve(c ?? 1));
  });
} finally {
  const stopped = await server.stop();
  if (stopped !== 0) {
    console.error(`tidemark exited with ${stopped} after the fuzzing`);
    code = code || 1;
  }
  const log = server.log.join('');
  const panics = (log.match(/panicked/g) || []).length;
  if (panics > 0) {
    console.error(`the server panicked ${panics} times during the fuzzing`);
    code = code || 1;
  }
}
process.exit(code);
