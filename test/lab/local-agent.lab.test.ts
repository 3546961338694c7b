// Lab: `why` answered by this host's agent (127.0.0.1:9700) when its snapshot is fresh — the same output, text and
// JSON, as collecting now (--no-agent), which itself reads only the pair's containers (and, for --json, their networks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, labUnavailable, until } from './lab.js';
import type { LabHost } from './lab.js';
import { seedScenario } from './scenarios.js';

const skip = labUnavailable();
if (skip) console.warn(`SKIPPED local agent lab tests: ${skip}`);

const ANSWERED = /netdiag: answered by the local agent \(snapshot \d+ s old; --no-agent collects now\)/;

describe.skipIf(skip !== null)('why answered by the local agent', () => {
  let lab: Lab;
  let h: LabHost;
  let agent: { stop(): Promise<number | null> };
  beforeAll(async () => {
    lab = await Lab.create();
    h = await seedScenario(lab, 'la');
    // A third network with two containers: a question's scope leaves them out, the agent's snapshot has them.
    await h.docker(['network', 'create', 'net-x']);
    await Promise.all([h.run('x1', { network: 'net-x' }), h.run('x2', { network: 'net-x' })]);
    ({ daemon: agent } = await h.startAgent('local-agent-token-0123456789abcdef', { refresh: '5m' }));
  }, 180_000);
  afterAll(async () => {
    await agent?.stop();
    await lab?.teardown();
  });

  const both = async (args: string[]) => {
    const [viaAgent, collected] = [await h.netdiag(args), await h.netdiag([...args, '--no-agent'])];
    return { viaAgent, collected };
  };

  it('the same output and exit code as collecting, for blocked, reachable, port and cross-network questions, text and --json', async () => {
    const questions = [['alpine-01', 'redis-1'], ['redis-1', 'redis-2'], ['x1', 'redis-1'], ['redis-2', 'x2'], ['alpine-01', 'x1', '--port', '80/tcp'], ['redis-1', 'redis-2', '--port', '9999/tcp'], ['x1', 'x2', '-4']];
    for (const q of questions) {
      for (const json of [['--json'], []]) {
        // The agent read every namespace: its --json answer is collecting's with --all-namespaces, and collecting's
        // without it only in which "also opens" pairs went through a bystander's namespace not entered.
        const { viaAgent, collected } = await both(['why', ...q, ...json, ...(json.length ? ['--all-namespaces'] : [])]);
        expect(viaAgent.stderr, q.join(' ')).toMatch(ANSWERED);
        expect(collected.stderr, q.join(' ')).not.toMatch(ANSWERED);
        expect(viaAgent.stdout, `${q.join(' ')} ${json.join('')}`).toBe(collected.stdout);
        expect(viaAgent.exitCode, q.join(' ')).toBe(collected.exitCode);
        if (json.length) {
          const lean = await h.netdiag(['why', ...q, '--json', '--no-agent']);
          const unread = (r: { stdout: string }) => JSON.parse(r.stdout) as { fixes: { alsoOpensNotRead: unknown[] }[] };
          const x = unread(lean);
          expect({ ...x, fixes: x.fixes.map((f) => ({ ...f, alsoOpensNotRead: [] })) }, q.join(' ')).toEqual(unread(viaAgent));
          expect(lean.exitCode, q.join(' ')).toBe(viaAgent.exitCode);
        }
      }
    }
  });

  it('a change Docker reports reaches the agent\'s answer (its events refresh it), and the answer is still the collected one', async () => {
    await h.docker(['network', 'connect', 'net-redis', 'x1']);
    const after = await until('the agent to see x1 on net-redis', async () => {
      const r = await h.netdiag(['why', 'x1', 'redis-1', '--json']);
      return JSON.parse(r.stdout).verdict === 'reachable' ? r : null;
    });
    expect(after.stderr).toMatch(ANSWERED);
    expect(after.stdout).toBe((await h.netdiag(['why', 'x1', 'redis-1', '--json', '--no-agent', '--all-namespaces'])).stdout);
  });

  it('an agent serving another name than this host\'s is not asked for its answer: collected, as before', async () => {
    const r = await h.netdiag(['why', 'alpine-01', 'redis-1', '--json'], 60_000, { NETDIAG_HOST_NAME: 'not-this-host' });
    expect(r.stderr).not.toMatch(ANSWERED);
    expect(r.exitCode).toBe(1);
    const explicit = await h.netdiag(['why', 'alpine-01', 'redis-1'], 60_000, { NETDIAG_HOST_NAME: 'not-this-host', NETDIAG_AGENT: 'http://127.0.0.1:9700' });
    expect(explicit.stderr).toMatch(/not answered by the agent at http:\/\/127\.0\.0\.1:9700: it serves host ".*", this host is "not-this-host"/);
  });
});
