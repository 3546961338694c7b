// Fix: forwarding switched on (IPv4's ip_forward, IPv6's all.forwarding) on a host that drops for want of it.
import type { WhyAnswer } from '../../../snapshot/contract.js';
import type { World } from '../../model/types.js';
import { fixId } from './candidate.js';
import type { Candidate } from './candidate.js';

export function ipForward(world: World, answer: WhyAnswer): Candidate[] {
  const v4 = world.hosts
    .filter((h) => h.ipForward === false)
    .map((h) => ({
      id: fixId(['ip-forward', h.name]),
      kind: 'ip-forward' as const,
      title: `enable forwarding on ${h.name}`,
      steps: [{ kind: 'sysctl' as const, host: h.name, key: 'net.ipv4.ip_forward', value: '1' }],
      scope: `${h.name} forwards packets between all its interfaces`,
      note: 'Docker normally enables this itself when it starts; something turned it off since.',
      discouraged: false,
      persistence: { daemonRestart: true, reboot: false, keep: "To keep it across reboots: write net.ipv4.ip_forward = 1 to /etc/sysctl.d/99-forwarding.conf (and find what turns it off: a sysctl file, or a firewall's own setting)." },
    }));
  // IPv6 forwarding is its own switch, and turning it on stops the kernel accepting router advertisements (accept_ra < 2).
  const v6Hosts = new Set(answer.addresses.filter((x) => x.verdict === 'blocked' && x.decidedBy?.kind === 'sysctl' && x.family === 'ipv6').map((x) => x.decidedBy?.host));
  const v6 = world.hosts
    .filter((h) => h.ipForward6 === false && v6Hosts.has(h.name))
    .map((h) => ({
      id: fixId(['ip6-forward', h.name]),
      kind: 'ip-forward' as const,
      title: `enable IPv6 forwarding on ${h.name}`,
      steps: [{ kind: 'sysctl' as const, host: h.name, key: 'net.ipv6.conf.all.forwarding', value: '1' }],
      scope: `${h.name} forwards IPv6 between all its interfaces`,
      note: 'With forwarding on, the kernel ignores router advertisements on interfaces whose accept_ra is below 2: set accept_ra=2 on the uplink first if its IPv6 default route comes from RA (netdiag doctor checks it).',
      discouraged: false,
      persistence: { daemonRestart: true, reboot: false, keep: 'To keep it across reboots: write net.ipv6.conf.all.forwarding = 1 (and accept_ra = 2 on the uplink where needed) to /etc/sysctl.d/99-forwarding.conf.' },
    }));
  return [...v4, ...v6];
}
