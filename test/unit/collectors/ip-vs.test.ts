// /proc/net/ip_vs parsed from text shaped exactly as the kernel prints it. This lab's kernel has no IPVS, so nothing
// could be captured: the text below is built with the format strings of ip_vs_info_seq_show and ip_vs_fwd_name in
// torvalds/linux net/netfilter/ipvs/ip_vs_ctl.c (commit 026ace060dfe29275d2188297a62fa37d6c1a02c; the format lines
// are unchanged by the later per-netns table rework), holding what moby programs (daemon/libnetwork/service_linux.go:
// one FWM service per VIP, fwmarks from 256 (service.go fwMarkCtr), scheduler rr, each task a destination of weight 1
// and port 0, forwarding Masq, or Route (ConnFwdDirectRoute) in DSR mode).
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseProcNetIpVs } from '../../../collectors/ip-vs.js';
import { ParseError } from '../../../collectors/iproute-json.js';

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const ipv4 = (ip: string) => hex8(ip.split('.').reduce((a, o) => a * 256 + Number(o), 0));

// seq_printf(seq, "IP Virtual Server version %d.%d.%d (size=%d)\n", …) and the two seq_puts header lines.
const HEADER = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n';
// "FWM  %08X %s %s" (the last %s is "ops " or ""), then '\n' when not persistent.
const fwm = (mark: number, sched: string, ops = '') => `FWM  ${hex8(mark)} ${sched} ${ops}\n`;
// "%s  %08X:%04X %s %s " (protocol name, address, port, scheduler, "ops " or "").
const svc4 = (proto: string, ip: string, port: number, sched: string) => `${proto}  ${ipv4(ip)}:${hex4(port)} ${sched}  \n`;
// %pI6 prints all eight groups, four hex digits each (lib/vsprintf.c ip6_string; %pI6c is the compressed form).
const pI6 = (ip: string) => ipaddr.IPv6.parse(ip).toNormalizedString().split(':').map((g) => g.padStart(4, '0')).join(':');
// "%s  [%pI6]:%04X %s ".
const svc6 = (proto: string, ip: string, port: number, sched: string) => `${proto}  [${pI6(ip)}]:${hex4(port)} ${sched} \n`;
// "  -> %08X:%04X      %-7s %-6d %-10d %-10d\n".
const dest4 = (ip: string, port: number, fwd: string, weight: number, active: number, inactive: number) =>
  `  -> ${ipv4(ip)}:${hex4(port)}      ${fwd.padEnd(7)} ${String(weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}\n`;
// "  -> [%pI6]:%04X      %-7s %-6d %-10d %-10d\n".
const dest6 = (ip: string, port: number, fwd: string, weight: number, active: number, inactive: number) =>
  `  -> [${pI6(ip)}]:${hex4(port)}      ${fwd.padEnd(7)} ${String(weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}\n`;

describe('/proc/net/ip_vs', () => {
  it('the header alone (IPVS loaded, nothing programmed) is no service', () => {
    expect(parseProcNetIpVs(HEADER)).toEqual([]);
  });

  it('a service VIP as moby programs it in a container\'s namespace: FWM 256, rr, two tasks by Masq', () => {
    const text = HEADER + fwm(256, 'rr') + dest4('10.0.1.3', 0, 'Masq', 1, 0, 0) + dest4('10.0.1.4', 0, 'Masq', 1, 2, 5);
    expect(text.split('\n')[3]).toBe('FWM  00000100 rr ');
    expect(text.split('\n')[4]).toBe('  -> 0A000103:0000      Masq    1      0          0         ');
    expect(parseProcNetIpVs(text)).toEqual([
      {
        protocol: 'FWM',
        fwmark: 256,
        address: null,
        port: null,
        scheduler: 'rr',
        destinations: [
          { address: '10.0.1.3', port: 0, forward: 'Masq', weight: 1, activeConns: 0, inactiveConns: 0 },
          { address: '10.0.1.4', port: 0, forward: 'Masq', weight: 1, activeConns: 2, inactiveConns: 5 },
        ],
      },
    ]);
  });

  it('the ingress sandbox with two published services (marks 257, 258), a task leaving at weight 0 and DSR\'s Route', () => {
    const text = HEADER + fwm(257, 'rr') + dest4('10.0.0.5', 0, 'Masq', 1, 0, 0) + dest4('10.0.0.6', 0, 'Masq', 0, 0, 1) + fwm(258, 'rr', 'ops ') + dest4('10.0.0.7', 0, 'Route', 1, 0, 0);
    const s = parseProcNetIpVs(text);
    expect(s.map((x) => [x.fwmark, x.scheduler, x.destinations.map((d) => [d.address, d.weight, d.forward])])).toEqual([
      [257, 'rr', [['10.0.0.5', 1, 'Masq'], ['10.0.0.6', 0, 'Masq']]],
      [258, 'rr', [['10.0.0.7', 1, 'Route']]],
    ]);
  });

  it('address services, IPv4 and IPv6 (the kernel\'s other forms), with ports in hex', () => {
    const text = HEADER + svc4('TCP', '192.0.2.10', 80, 'wlc') + dest4('10.0.0.2', 8080, 'Masq', 1, 0, 0) + svc6('UDP', 'fd00::10', 53, 'rr') + dest6('fd00::2', 53, 'Tunnel', 3, 0, 0);
    expect(text).toContain('UDP  [fd00:0000:0000:0000:0000:0000:0000:0010]:0035 rr \n');
    expect(parseProcNetIpVs(text)).toEqual([
      { protocol: 'TCP', fwmark: null, address: '192.0.2.10', port: 80, scheduler: 'wlc', destinations: [{ address: '10.0.0.2', port: 8080, forward: 'Masq', weight: 1, activeConns: 0, inactiveConns: 0 }] },
      { protocol: 'UDP', fwmark: null, address: 'fd00::10', port: 53, scheduler: 'rr', destinations: [{ address: 'fd00::2', port: 53, forward: 'Tunnel', weight: 3, activeConns: 0, inactiveConns: 0 }] },
    ]);
  });

  it('a persistent service\'s trailer ("persistent %d %08X") is not taken for the scheduler', () => {
    const text = `${HEADER}FWM  00000101 sh persistent 360 FFFFFFFF\n${dest4('10.0.0.5', 0, 'Masq', 1, 0, 0)}`;
    expect(parseProcNetIpVs(text)[0]).toMatchObject({ fwmark: 257, scheduler: 'sh' });
  });

  it('a protocol the schema has no word for (ip_vs_proto_name\'s "IP_%u") or a destination before any service is refused, not guessed', () => {
    expect(() => parseProcNetIpVs(`${HEADER}IP_47  C0000201:0000 rr  \n`)).toThrow(ParseError);
    expect(() => parseProcNetIpVs(HEADER + dest4('10.0.0.5', 0, 'Masq', 1, 0, 0))).toThrow(ParseError);
  });
});
