// The public corpus: iptables dumps operators posted (Docker 1.x to 29 beside ufw, firewalld, kube-proxy, libvirt,
// tailscale, OpenWrt). Every one parses; every rule in them is one iptables-save prints (no parser problem), and the
// only words the evaluator leaves unknown are the ones listed here, on purpose.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../../collectors/iptables-save.js';
import { parseRule } from '../../../rules/iptables/parse.js';
import { corpusDir } from '../fixtures.js';

const files = readdirSync(corpusDir()).filter((f) => f.endsWith('.txt')).sort();

describe('the public iptables corpus', () => {
  it('is there (25 dumps)', () => {
    expect(files.length).toBe(25);
  });

  it.each(files)('%s parses, every -A line a rule, none with a parser problem', (f) => {
    const text = readFileSync(join(corpusDir(), f), 'utf8');
    const dump = parseIptablesSave(text);
    const rules = dump.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
    expect(rules.length).toBe(text.split('\n').filter((l) => /^(\[\d+:\d+\] )?-A /.test(l.trim())).length);
    for (const r of rules) expect(parseRule(r.text).problems, r.text).toEqual([]);
  });

  it('leaves unknown only what netdiag does not model on purpose (random sampling, TCP flags)', () => {
    const unknown = new Set<string>();
    for (const f of files) {
      for (const t of parseIptablesSave(readFileSync(join(corpusDir(), f), 'utf8')).tables) {
        for (const c of t.chains) {
          for (const r of c.rules) {
            const p = parseRule(r.text);
            for (const m of p.matches) if (m.kind === 'unknown') unknown.add(m.text.split(' ').slice(0, 3).join(' '));
            if (p.target.kind === 'unknown') unknown.add(`-j ${p.target.name}`);
          }
        }
      }
    }
    expect([...unknown].sort()).toEqual(['-m statistic --mode', '-m tcp --tcp-flags']);
  });

  it('header forms: iptables-save with and without the backend suffix', () => {
    const backends = new Set(files.map((f) => parseIptablesSave(readFileSync(join(corpusDir(), f), 'utf8')).backend));
    expect(backends).toEqual(new Set(['legacy', 'nf_tables', null]));
  });
});
