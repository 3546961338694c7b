// `why A B`: every address of B, walked from A, with what decided each, and whether B's name resolves from A.
import { familyOf, ipText, isLoopback, parseIp } from '../addr/addr.js';
import type { Family } from '../addr/addr.js';
import type { ContainerModel, Endpoint, World } from '../model/types.js';
import { aliasesOf, namespaceOf, qualifiedName, resolve, resolveSource, ResolveError } from '../query/resolve.js';
import type { Target } from '../query/resolve.js';
import type { AddressAnswer, Flow, WhyAnswer } from '../../snapshot/contract.js';
import { nameResolution } from './names.js';
import { destinations } from './destinations.js';
import { isResolverQuestion, resolverAnswer } from '../dns/answer.js';
import { BOTH, combine, familyName, familySummary, familyVerdicts, verdictOfAddresses } from './verdict.js';
import { walkBalanced } from '../walk/balanced.js';
import { pairDockerRules } from './docker-rules.js';
import type { Origin } from '../walk/flow.js';
import { serviceName } from '../dns/service-names.js';
import type { ServiceName } from '../dns/service-names.js';

export type { AddressAnswer, WhyAnswer };

function networkName(e: Endpoint): string | null {
  return e.network?.name ?? null;
}

/** The name the user asked by, when it is one of B's (its name or an alias); else B's container name. */
function askedName(b: ContainerModel, text: string): string {
  const name = text.slice(text.indexOf('/') + 1);
  return name === b.name || aliasesOf(b).has(name) ? name : b.name;
}

/** A service name as Docker's DNS answered it (moby service_common.go addEndpointNameResolution). */
function serviceDns(svc: ServiceName, asked: string, a: ContainerModel): WhyAnswer['dns'] {
  const what = svc.mode === 'vip' ? `service ${svc.service}'s VIP (vip mode: IPVS balances it over the tasks)` : svc.mode === 'dnsrr' ? `the tasks of service ${svc.service} (dnsrr mode: no VIP, the client picks an address)` : `every task of service ${svc.service}`;
  const note = `${asked} resolves from ${a.name} through Docker's embedded DNS on ${svc.network} to ${what}: ${svc.addresses.join(', ')}`;
  return { resolves: true, name: asked, via: 'embedded-dns', network: svc.network, addresses: svc.addresses, note, steps: [{ kind: 'answer', verdict: 'reachable', text: note }], resolver: null, upstreams: [] };
}

/** How the user gave B: an address, a prefix of its ID, or a name (its own, or one it answers to on a network). */
function askedHow(target: Target, text: string): WhyAnswer['to']['askedBy'] {
  const name = text.slice(text.indexOf('/') + 1);
  if (parseIp(name) !== null || target.kind === 'address') return 'address';
  if (target.kind === 'container' && name !== target.container.name && !aliasesOf(target.container).has(name) && target.container.docker.id.startsWith(name)) return 'id';
  return 'name';
}

/** `families` restricts the answer to IPv4 or IPv6 addresses of B (-4, -6); both by default. */
export function why(world: World, fromText: string, toText: string, flow: Flow, families: readonly Family[] = BOTH): WhyAnswer {
  const source = resolveSource(world, fromText);
  const origin: Origin = source;
  const a = source.kind === 'container' ? source.container : null;
  // A swarm service's name (web, tasks.web) answers through Docker's DNS from a container on its network.
  let svc: ServiceName | null = null;
  let target: Target;
  try {
    target = resolve(world, toText);
  } catch (e) {
    svc = e instanceof ResolveError && a ? serviceName(a, toText) : null;
    if (!svc || svc.addresses.length === 0) throw e;
    target = { kind: 'address', ip: parseIp(svc.addresses[0] as string) as NonNullable<ReturnType<typeof parseIp>> };
  }
  const dests = svc ? svc.addresses.flatMap((x) => { const ip = parseIp(x); return ip !== null && families.includes(familyOf(ip)) ? [{ ip, network: svc!.network }] : []; }) : destinations(world, source, target, families);
  const addresses: AddressAnswer[] = dests.map((d) => {
    const r = walkBalanced(world, origin, d.ip, flow, 0, true, target.kind === 'container' ? target.container : null);
    return { ip: ipText(d.ip), family: familyName(familyOf(d.ip)), source: r.source, network: d.network, verdict: r.outcome, decidedBy: r.decidedBy, deliveredTo: r.deliveredTo, request: r.request, reply: r.reply };
  });
  const perFamily = familyVerdicts(addresses);
  const codeOf = (f: 'ipv4' | 'ipv6') => addresses.find((x) => x.family === f && x.verdict !== 'reachable')?.decidedBy?.code ?? null;
  const askedBy = askedHow(target, toText);
  const to: WhyAnswer['to'] =
    target.kind === 'container'
      ? { host: target.container.host.name, name: qualifiedName(target.container, world), id: target.container.docker.id, kind: 'container', namespace: namespaceOf(target.container), askedBy }
      : target.kind === 'host'
        ? { host: target.host.name, name: target.ip === null ? `host ${target.host.name}` : `host ${target.host.name} (${ipText(target.ip)})`, id: null, kind: 'host', namespace: target.ip === null ? "the host's" : null, askedBy }
        : { host: null, name: svc ? toText : ipText(target.ip), id: null, kind: 'address', namespace: null, askedBy: svc ? 'name' : askedBy };
  const dns: WhyAnswer['dns'] = svc
    ? serviceDns(svc, toText, a as ContainerModel)
    : target.kind === 'container' && a
      ? nameResolution(a, target.container, askedName(target.container, toText), world)
      : a && isResolverQuestion(target, flow)
        ? resolverAnswer(world, a, toText, flow.proto === 'tcp' ? 'tcp' : 'udp')
        : { resolves: false, name: toText, via: null, network: null, addresses: [], note: target.kind === 'container' ? `the host resolves container names only through its own resolver, not Docker's: use ${target.container.name}'s address` : target.kind === 'host' && target.ip === null ? `${toText} names the host itself: no name is looked up` : 'the destination was given as an address', steps: [], resolver: null, upstreams: [] };
  const from: WhyAnswer['from'] = source.kind === 'container'
    ? { host: source.container.host.name, name: qualifiedName(source.container, world), id: source.container.docker.id, kind: 'container', namespace: namespaceOf(source.container), addresses: source.container.endpoints.map((e) => ({ ip: e.ipText, network: networkName(e) })) }
    : { host: source.host.name, name: `host ${source.host.name}`, id: null, kind: 'host', namespace: "the host's", addresses: [...source.host.localAddrs.keys()].filter((ip) => !isLoopback(ip)).map((ip) => ({ ip: ipText(ip), network: null })) };
  const verdict = target.kind === 'container' ? verdictOfAddresses(target.container, addresses.map((x) => x.verdict)) : combine(addresses.map((x) => x.verdict));
  // Whatever the verdict: with Docker's rules gone a pair it would isolate gets through. Only the pair's rules are read.
  const dockerRules = pairDockerRules([a, target.kind === 'container' ? target.container : null]);
  return {
    from,
    to,
    flow: { proto: flow.proto, port: flow.port },
    askedFamilies: families.map(familyName),
    verdict,
    families: perFamily,
    summary: familySummary(to.name, perFamily, { ipv4: codeOf('ipv4'), ipv6: codeOf('ipv6') }),
    ...(dockerRules ? { dockerRules } : {}),
    addresses,
    dns,
  };
}
