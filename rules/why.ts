// `why A B`: every address of B, walked from A, with what decided each, and whether B's name resolves from A.
import { numberToIp } from './iptables/addr.js';
import type { ContainerModel, Endpoint, World } from './model/types.js';
import { qualifiedName, resolve, resolveContainer } from './resolve.js';
import type { AddressAnswer, Flow, WhyAnswer } from '../snapshot/contract.js';
import { combine, verdictOfAddresses } from './verdict.js';
import { walkFlow } from './walk/flow.js';

export type { AddressAnswer, WhyAnswer };

function networkName(e: Endpoint): string | null {
  return e.network?.name ?? null;
}

/** Docker's embedded DNS answers a container's name only to containers sharing a user-defined network with it. */
export function nameResolution(a: ContainerModel, b: ContainerModel): WhyAnswer['dns'] {
  if (a.host !== b.host) return { resolves: false, network: null, note: `${b.name} is on another host: Docker's DNS does not resolve it from ${a.name}; use its address` };
  const shared = a.endpoints.map((e) => e.network).find((n) => n && !n.isDefaultBridge && b.endpoints.some((e) => e.network?.id === n.id));
  if (shared) return { resolves: true, network: shared.name, note: `${b.name} resolves from ${a.name} through Docker's embedded DNS on ${shared.name}` };
  const onDefault = a.endpoints.some((e) => e.network?.isDefaultBridge) && b.endpoints.some((e) => e.network?.isDefaultBridge);
  return {
    resolves: false,
    network: null,
    note: onDefault
      ? `the name ${b.name} does not resolve from ${a.name}: the default bridge has no embedded DNS (only user-defined networks do)`
      : `the name ${b.name} does not resolve from ${a.name}: they share no user-defined network`,
  };
}

export function why(world: World, fromText: string, toText: string, flow: Flow): WhyAnswer {
  const a = resolveContainer(world, fromText);
  const target = resolve(world, toText);
  const dests: { ip: number; network: string | null }[] =
    target.kind === 'container'
      ? target.container.endpoints.map((e) => ({ ip: e.ip, network: networkName(e) }))
      : [{ ip: target.ip, network: null }];
  const addresses: AddressAnswer[] = dests.map((d) => {
    const r = walkFlow(world, { kind: 'container', container: a }, d.ip, flow, 0, true, target.kind === 'container' ? target.container : null);
    return { ip: numberToIp(d.ip), source: r.source, network: d.network, verdict: r.outcome, decidedBy: r.decidedBy, deliveredTo: r.deliveredTo, request: r.request, reply: r.reply };
  });
  const to: WhyAnswer['to'] =
    target.kind === 'container'
      ? { host: target.container.host.name, name: qualifiedName(target.container, world), id: target.container.docker.id, kind: 'container' }
      : target.kind === 'host'
        ? { host: target.host.name, name: `host ${target.host.name} (${numberToIp(target.ip)})`, id: null, kind: 'host' }
        : { host: null, name: numberToIp(target.ip), id: null, kind: 'address' };
  const dns =
    target.kind === 'container'
      ? nameResolution(a, target.container)
      : { resolves: false, network: null, note: 'the destination was given as an address' };
  return {
    from: { host: a.host.name, name: qualifiedName(a, world), id: a.docker.id, addresses: a.endpoints.map((e) => ({ ip: e.ipText, network: networkName(e) })) },
    to,
    flow: { proto: flow.proto, port: flow.port },
    verdict: target.kind === 'container' ? verdictOfAddresses(target.container, addresses.map((x) => x.verdict)) : combine(addresses.map((x) => x.verdict)),
    addresses,
    dns,
  };
}
