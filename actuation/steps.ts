// Executes typed steps on a host, idempotently; every step done yields its inverse step, which is what undo runs.
import type { HostMutator, LinkInfo } from '../host/mutate.js';
import { CommandError, firstLine } from '../host/exec.js';
import type { PlanStep } from '../snapshot/contract.js';
import { inverseOf } from '../rules/steps/inverse.js';

// The inverse is pure (a fix's rollback commands are shown before it is applied): it lives beside stepCommand.
export { inverseOf };

export class StepError extends Error {
  override name = 'StepError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const PERMISSION = /Operation not permitted|Permission denied/i;

/**
 * The host's own links, addresses and on-link routes (a macvlan shim). Checked first, so bad input changes nothing: a
 * parent that is not there, a name another link holds. A link is deleted only when it is the macvlan the step made
 * (same parent and mode): never an interface that merely has the name.
 */
async function applyLink(m: HostMutator, step: Extract<PlanStep, { kind: 'ip-link-add' | 'ip-link-del' | 'ip-link-set' | 'ip-addr-add' | 'ip-addr-del' | 'ip-link-route-add' | 'ip-link-route-del' }>): Promise<{ changed: boolean; before: null }> {
  const unchanged = { changed: false, before: null };
  const done = { changed: true, before: null };
  const fail = (what: string, stderr: string, hint: string) => (PERMISSION.test(stderr) ? new StepError(`${what}: permission denied`, 'run netdiag as root') : new StepError(`${what} failed: ${firstLine(stderr)}`, hint));
  const ours = (i: LinkInfo | null, s: { parent: string; type: string; mode: string }) => i !== null && i.kind === s.type && i.parent === s.parent && i.mode === s.mode;
  switch (step.kind) {
    case 'ip-link-add': {
      const there = await m.linkInfo(step.name);
      if (ours(there, step)) return unchanged;
      if (there) throw new StepError(`an interface named ${step.name} exists already (${there.kind ?? 'a device'}${there.parent ? ` on ${there.parent}` : ''})`, 'collect again and run netdiag fix again: it picks a free name');
      if (!(await m.linkInfo(step.parent))) throw new StepError(`no interface ${step.parent} here, the parent the shim needs`, "check the macvlan network's parent (docker network inspect, -o parent=)");
      const r = await m.ipLink(['add', step.name, 'link', step.parent, 'type', step.type, 'mode', step.mode]);
      if (!r.ok) throw fail(`ip link add ${step.name}`, r.stderr, 'check the host\'s links (ip -d link)');
      return done;
    }
    case 'ip-link-del': {
      const there = await m.linkInfo(step.name);
      if (!there) return unchanged;
      if (!ours(there, step)) throw new StepError(`${step.name} is not the ${step.type} of ${step.parent} netdiag made (it is ${there.kind ?? 'a device'}${there.parent ? ` on ${there.parent}` : ''}); left as it is`, 'remove it yourself if it should go');
      const r = await m.ipLink(['del', step.name]);
      if (!r.ok) throw fail(`ip link del ${step.name}`, r.stderr, 'check the host\'s links (ip -d link)');
      return done;
    }
    case 'ip-link-set': {
      const there = await m.linkInfo(step.dev);
      if (!there) {
        if (!step.up) return unchanged;
        throw new StepError(`no interface ${step.dev} here`, 'collect again and run netdiag fix again');
      }
      if (there.up === step.up) return unchanged;
      const r = await m.ipLink(['set', step.dev, step.up ? 'up' : 'down']);
      if (!r.ok) throw fail(`ip link set ${step.dev}`, r.stderr, 'check the host\'s links (ip -d link)');
      return done;
    }
    case 'ip-addr-add':
    case 'ip-addr-del': {
      const verb = step.kind === 'ip-addr-add' ? 'add' : 'del';
      const r = await m.ipAddr(verb, step.address, step.dev);
      if (r.ok) return done;
      // Already there (add), or already gone with its address or its link (del): applying twice changes nothing.
      if (verb === 'add' ? /Address already assigned|File exists/.test(r.stderr) : /Address not found|Cannot assign requested address|Cannot find device/.test(r.stderr)) return unchanged;
      throw fail(`ip addr ${verb} ${step.address} dev ${step.dev}`, r.stderr, "check the host's addresses (ip addr)");
    }
    case 'ip-link-route-add':
    case 'ip-link-route-del': {
      const verb = step.kind === 'ip-link-route-add' ? 'add' : 'del';
      const r = await m.ipLinkRoute(verb, step.dst, step.dev);
      if (r.ok) return done;
      if (verb === 'del' && /No such process|Cannot find device/.test(r.stderr)) return unchanged;
      // The kernel refuses a second route for the same prefix and metric whatever its device: ours, or another's.
      if (verb === 'add' && /File exists/.test(r.stderr)) {
        const devs = await m.routeDevs(step.dst);
        if (devs.includes(step.dev)) return unchanged;
        throw new StepError(`a route for ${step.dst} exists already${devs.length > 0 ? ` through ${devs.join(', ')}` : ''}`, `remove it first if ${step.dev} should carry it (ip route del ${step.dst}${devs[0] ? ` dev ${devs[0]}` : ''})`);
      }
      throw fail(`ip route ${verb} ${step.dst} dev ${step.dev}`, r.stderr, "check the host's routes (ip route)");
    }
  }
}


async function ruleExists(m: HostMutator, table: string, chain: string, rule: string[], six: boolean): Promise<boolean> {
  const r = await m.iptables(table, ['-C', chain, ...rule], six);
  if (r.ok) return true;
  if (/No chain\/target\/match by that name|does not exist/i.test(r.stderr) && !/Bad rule/.test(r.stderr)) {
    throw new StepError(`${six ? 'ip6tables' : 'iptables'}: chain ${chain} does not exist in table ${table}`, six ? 'Docker makes IPv6 chains only with ip6tables enabled (--ip6tables, the default since 27.0)' : 'Docker creates DOCKER-USER when it starts; is dockerd running with iptables enabled?');
  }
  return false;
}

/** The rules of one nftables chain as nft lists them (JSON), with their handles; null when the chain does not exist. */
async function nftChainRules(m: HostMutator, family: string, table: string, chain: string): Promise<{ handle: number; expr: unknown; comment: string | null }[] | null> {
  const r = await m.nft(null, ['chain', family, table, chain]);
  if (!r.ok) return null;
  const items = (JSON.parse(r.stdout) as { nftables: Record<string, { handle: number; expr: unknown; comment?: string }>[] }).nftables;
  return items.filter((i) => 'rule' in i).map((i) => ({ handle: i.rule!.handle, expr: i.rule!.expr, comment: i.rule!.comment ?? null }));
}

const sameBody = (a: { expr: unknown; comment: string | null }, b: { expr: unknown; comment: string | null }) => JSON.stringify(a.expr) === JSON.stringify(b.expr) && a.comment === b.comment;

async function apply(m: HostMutator, step: PlanStep): Promise<{ changed: boolean; before: string | null; handle?: number }> {
  const fail = (what: string, stderr: string, hint: string) => new StepError(`${what} failed: ${firstLine(stderr)}`, hint);
  switch (step.kind) {
    case 'iptables-insert': {
      const six = step.ip6tables === true;
      const tool = six ? 'ip6tables' : 'iptables';
      if (await ruleExists(m, step.table, step.chain, step.rule, six)) return { changed: false, before: null };
      const r = await m.iptables(step.table, ['-I', step.chain, ...(step.position ? [String(step.position)] : []), ...step.rule], six);
      if (r.ok) return { changed: true, before: null };
      // The chain got shorter meanwhile (a rule put back where it was): at the end rather than nowhere.
      if (step.position && (await m.iptables(step.table, ['-A', step.chain, ...step.rule], six)).ok) return { changed: true, before: null };
      throw fail(`${tool} -I ${step.chain}`, r.stderr, `check the rule with ${tool} -S`);
    }
    case 'iptables-delete': {
      const six = step.ip6tables === true;
      const tool = six ? 'ip6tables' : 'iptables';
      if (!(await ruleExists(m, step.table, step.chain, step.rule, six))) return { changed: false, before: null };
      const r = await m.iptables(step.table, ['-D', step.chain, ...step.rule], six);
      if (!r.ok) throw fail(`${tool} -D ${step.chain}`, r.stderr, `check the rule with ${tool} -S`);
      return { changed: true, before: null };
    }
    case 'sysctl': {
      const before = await m.readSysctl(step.key);
      if (before === null) throw new StepError(`sysctl ${step.key} does not exist here`, 'load the module that provides it');
      if (before === step.value) return { changed: false, before };
      const r = await m.writeSysctl(step.key, step.value);
      if (!r.ok) throw fail(`sysctl -w ${step.key}`, r.stderr, 'run netdiag as root');
      return { changed: true, before };
    }
    case 'docker-network-connect':
    case 'docker-network-disconnect': {
      const joined = await m.containerNetworks(step.container);
      const connect = step.kind === 'docker-network-connect';
      if (joined === null) {
        if (!connect) return { changed: false, before: null };
        throw new StepError(`no container ${step.containerName} (${step.container.slice(0, 12)})`, 'is it still running? collect again');
      }
      if (joined.includes(step.network) === connect) return { changed: false, before: null };
      await (connect ? m.dockerConnect(step.networkId, step.container) : m.dockerDisconnect(step.networkId, step.container));
      return { changed: true, before: null };
    }
    case 'ip-route-add':
    case 'ip-route-del': {
      const verb = step.kind === 'ip-route-add' ? 'add' : 'del';
      const r = await m.ipRoute(verb, step.dst, step.via, step.dev);
      if (r.ok) return { changed: true, before: null };
      // Already there (add) or already gone (del): applying twice changes nothing.
      if (verb === 'add' ? /File exists/.test(r.stderr) : /No such process|not found/i.test(r.stderr)) return { changed: false, before: null };
      throw fail(`ip route ${verb} ${step.dst}`, r.stderr, "check the host's routes (ip route)");
    }
    case 'nft-insert': {
      const current = await nftChainRules(m, step.family, step.table, step.chain);
      const existing = current?.find((x) => sameBody(x, step.rule));
      if (existing) return { changed: false, before: null, handle: existing.handle };
      // Insert before the rule now at `index`; past the end of a shorter chain (or with no index), append.
      const insert = step.index !== null && current !== null && step.index < current.length;
      const rule = { family: step.family, table: step.table, chain: step.chain, expr: step.rule.expr, ...(step.rule.comment ? { comment: step.rule.comment } : {}), ...(insert ? { index: step.index } : {}) };
      const create = step.create ? [{ add: { table: { family: step.family, name: step.table } } }, { add: { chain: { family: step.family, table: step.table, name: step.chain, ...step.create } } }] : [];
      // One transaction: the table, its chain and the rule go in together or not at all.
      const r = await m.nft([...create, { [insert ? 'insert' : 'add']: { rule } }]);
      if (!r.ok) throw fail(`nft ${insert ? 'insert' : 'add'} rule ${step.family} ${step.table} ${step.chain}`, r.stderr, 'check the rule with nft list ruleset');
      const echoed = (JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: Record<string, { rule?: { handle?: number } }>[] }).nftables.map((c) => Object.values(c)[0]?.rule?.handle).find((h) => h !== undefined);
      if (echoed === undefined) throw new StepError('nft did not say which handle the new rule got', 'run nft -a list ruleset, and delete it by hand if it is there');
      return { changed: true, before: null, handle: echoed };
    }
    case 'nft-delete': {
      const rules = await nftChainRules(m, step.family, step.table, step.chain);
      const there = rules?.find((x) => (step.handle === null ? sameBody(x, step.rule) : x.handle === step.handle));
      // Gone already, or the handle now names another rule (the table was reloaded): nothing of ours to delete.
      if (!there || !sameBody(there, step.rule)) return { changed: false, before: null };
      // netdiag's own table goes with its last rule, so undoing leaves the ruleset as it was.
      const lastOfOurs = step.table === 'netdiag' && rules?.length === 1;
      const del = lastOfOurs ? { delete: { table: { family: step.family, name: step.table } } } : { delete: { rule: { family: step.family, table: step.table, chain: step.chain, handle: there.handle } } };
      const r = await m.nft([del]);
      if (!r.ok) throw fail(`nft delete rule ${step.family} ${step.table} ${step.chain} handle ${there.handle}`, r.stderr, 'check the rule with nft -a list ruleset');
      return { changed: true, before: null };
    }
    case 'ip-link-add':
    case 'ip-link-del':
    case 'ip-link-set':
    case 'ip-addr-add':
    case 'ip-addr-del':
    case 'ip-link-route-add':
    case 'ip-link-route-del':
      return applyLink(m, step);
    case 'docker-daemon-config':
      throw new StepError(`${step.key} in /etc/docker/daemon.json needs dockerd restarted`, 'make that change yourself (it restarts every container), then run netdiag fix again');
  }
}

/** Do one step; `changed: false` when the host already had it. `undo` is the step that reverses it. */
export async function doStep(m: HostMutator, step: PlanStep): Promise<{ changed: boolean; undo: PlanStep | null }> {
  try {
    const r = await apply(m, step);
    return { changed: r.changed, undo: inverseOf(step, r.before, r.handle ?? null) };
  } catch (error) {
    if (error instanceof CommandError) throw new StepError(error.message, error.hint);
    throw error;
  }
}

/** Undo a step with its recorded inverse, or the one derived from the step. Whatever is already undone is not an error. */
export async function undoStep(m: HostMutator, step: PlanStep, undo: PlanStep | null): Promise<{ changed: boolean }> {
  const inverse = undo ?? inverseOf(step);
  if (!inverse) return { changed: false };
  return { changed: (await doStep(m, inverse)).changed };
}
