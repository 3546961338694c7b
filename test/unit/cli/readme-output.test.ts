// Issue 23, case 8: the README's demo output was stale. Every README block marked `<!-- output of: netdiag ARGS -->`
// is the real output of the built CLI run with ARGS (NO_COLOR, no TTY, in an empty directory; arguments with a slash
// are paths from the repository root). The block may start with the command as the reader would type it (`$ …`).
// NETDIAG_UPDATE_GOLDEN=1 rewrites the blocks from the real output: `npm run update-readme` (builds first; review the
// diff before committing).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../fixtures.js';

const README = join(REPO, 'README.md');
const CLI = join(REPO, 'dist/netdiag.mjs');
const UPDATE = process.env.NETDIAG_UPDATE_GOLDEN === '1';
const MARKED = /^<!-- output of: netdiag (.+?) -->\n```\n([\s\S]*?)```$/gm;

interface Block {
  args: string;
  prompt: string | null;
  shown: string;
}

function blocks(text: string): Block[] {
  return [...text.matchAll(MARKED)].map((m) => {
    const body = m[2] as string;
    const prompt = body.startsWith('$ ') ? body.slice(0, body.indexOf('\n') + 1) : null;
    return { args: m[1] as string, prompt, shown: prompt ? body.slice(prompt.length) : body };
  });
}

/** The built CLI's output, as a reader at a terminal without colour would copy it. */
async function realOutput(args: string): Promise<string> {
  const argv = args.split(' ').map((a) => (a.includes('/') ? join(REPO, a) : a));
  const cwd = mkdtempSync(join(tmpdir(), 'netdiag-readme-'));
  const r = await promisify(execFile)(process.execPath, [CLI, ...argv], { cwd, env: { PATH: '/nonexistent', NO_COLOR: '1', DOCKER_HOST: 'unix:///nonexistent' } }).catch((error: { stdout: string; code: number }) => {
    // doctor with findings, why blocked: exit 1, and the output is still the output.
    if (typeof error.stdout === 'string' && error.code === 1) return { stdout: error.stdout };
    throw error;
  });
  return r.stdout;
}

/**
 * Blocks marked `<!-- excerpts of the output, each command run with: ARGS -->`: each `$ netdiag …` line in the block is
 * run with ARGS added, and every line shown under it but "…" (what was left out) is a line of its real output, in order.
 * They cannot be rewritten from the output (what to leave out is the writer's choice): fix them by hand.
 */
const EXCERPTS = /^<!-- excerpts of the output, each command run with: (.+?) -->\n```\n([\s\S]*?)```$/gm;

function excerpts(text: string): { command: string; shown: string[] }[] {
  return [...text.matchAll(EXCERPTS)].flatMap((m) => {
    const sections: { command: string; shown: string[] }[] = [];
    for (const line of (m[2] as string).split('\n')) {
      const prompt = /^\$ netdiag (.+?)\s*(?:#.*)?$/.exec(line);
      if (prompt) sections.push({ command: `${prompt[1]} ${m[1]}`, shown: [] });
      else if (line.trim() !== '…' && line !== '') sections.at(-1)?.shown.push(line);
    }
    return sections;
  });
}

/** The first shown line that is not in the output after the one before it (null when all are, in order). */
function missingLine(shown: string[], output: string): string | null {
  const lines = output.split('\n');
  let at = 0;
  for (const line of shown) {
    const i = lines.indexOf(line, at);
    if (i < 0) return line;
    at = i + 1;
  }
  return null;
}

describe('README excerpts are lines of the real output', () => {
  const found = excerpts(readFileSync(README, 'utf8'));
  it('the IPv6 why and matrix are marked (and so held)', () => {
    expect(found.map((e) => e.command.split(' ')[0])).toEqual(expect.arrayContaining(['why', 'matrix']));
  });
  it.each(found.map((e) => [e.command, e] as const))('netdiag %s', async (_command, e) => {
    expect(e.shown.length).toBeGreaterThan(0);
    expect(missingLine(e.shown, await realOutput(e.command))).toBeNull();
  }, 60_000);
  it('a line the output does not have is found', () => {
    expect(missingLine(['a', 'c'], 'a\nb\nc\n')).toBeNull();
    expect(missingLine(['c', 'a'], 'a\nb\nc\n')).toBe('a');
  });
});

describe('README output blocks are the real output', () => {
  const text = readFileSync(README, 'utf8');
  const found = blocks(text);

  it('the demo\'s block is marked (and so held)', () => {
    expect(found.map((b) => b.args)).toContain('demo');
  });

  it.each(found.map((b) => [b.args, b] as const))('netdiag %s', async (_args, block) => {
    const real = await realOutput(block.args);
    if (UPDATE) {
      const now = readFileSync(README, 'utf8');
      const marker = `<!-- output of: netdiag ${block.args} -->\n\`\`\`\n`;
      const start = now.indexOf(marker) + marker.length;
      const end = now.indexOf('```', start);
      writeFileSync(README, `${now.slice(0, start)}${block.prompt ?? ''}${real}${now.slice(end)}`);
      return;
    }
    expect(block.shown).toBe(real);
  }, 60_000);
});
