// A small process that runs programs for a big one, each through runCommand (execFile, argument array, timeout).
//
// Node starts a program by fork(), which copies the caller's page tables and blocks its event loop meanwhile: from a
// 48 MB process 1 ms, from 188 MB 14 ms, from 446 MB 26 ms (measured on the 2-core bench machine). A snapshot of 500
// containers holds hundreds of MB and starts two programs per container; this process stays small, so each fork
// costs ~1 ms, and on the other core. Requests and answers are JSON lines on stdin and stdout (host/exec.ts).
import { createInterface } from 'node:readline';
import { CommandError, runCommand } from './exec.js';
import type { HelperAnswer, HelperRequest } from './exec.js';

const send = (a: HelperAnswer) => process.stdout.write(`${JSON.stringify(a)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, file, args, opts } = JSON.parse(line) as HelperRequest;
  runCommand(file, args, opts).then(
    (result) => send({ id, result }),
    (error: unknown) => send({ id, error: error instanceof CommandError ? { message: error.message, hint: error.hint, code: error.code } : { message: String(error), hint: 'see the message above', code: 'failed' } }),
  );
});
send({ ready: true });
// The caller closed its end (it finished, or died): programs still running end by their own timeouts, then so do we.
process.stdin.on('end', () => process.stdout.end());
