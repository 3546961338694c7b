// The sockets collector's parsers on what real hosts printed (the seed recording): /proc/PID/net/{tcp,tcp6,udp,udp6}
// through each container's main task, and ss -Htlunp for the host.
import { describe, expect, it } from 'vitest';
import { parseProcNet, parseSs, procAddress } from '../../../collectors/proc-net.js';
import { seedRecording } from '../fixtures.js';
import { replay } from '../fixtures.js';

const rec = seedRecording();

describe('proc-net', () => {
  it('reads the kernel\'s little-endian words: IPv4, IPv6, v4-mapped', () => {
    expect(procAddress('0100007F')).toBe('127.0.0.1');
    expect(procAddress('0B00007F')).toBe('127.0.0.11');
    expect(procAddress('00000000000000000000000000000000')).toBe('::');
    expect(procAddress('00000000000000000000000001000000')).toBe('::1');
    expect(procAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
  });

  it('finds the listening and bound sockets in every container file the seed recording holds', () => {
    const files = Object.entries(rec.files).filter(([p, t]) => /^\/proc\/\d+\/net\/(tcp|udp)6?$/.test(p) && t !== null);
    expect(files.length).toBeGreaterThanOrEqual(12);
    const all = files.flatMap(([p, t]) => {
      const [, proto, six] = /(tcp|udp)(6?)$/.exec(p)!;
      return parseProcNet(t as string, proto as 'tcp' | 'udp', six ? 'inet6' : 'inet');
    });
    // Every container serves HTTP on :: port 80 (busybox httpd); user-network ones also hold Docker's DNS on 127.0.0.11.
    expect(all.filter((s) => s.proto === 'tcp' && s.port === 80).map((s) => s.address)).toEqual(['::', '::', '::']);
    expect(all.filter((s) => s.address === '127.0.0.11').map((s) => s.proto).sort()).toEqual(['tcp', 'tcp', 'udp', 'udp']);
  });

  it('reads ss -Htlunp with its process column', () => {
    expect(parseSs(rec.commands['ss -Htlunp']!.stdout)).toEqual([
      { proto: 'tcp', family: 'inet', address: '0.0.0.0', port: 8080, iface: null, process: { name: 'docker-proxy', pid: expect.any(Number) } },
      { proto: 'tcp', family: 'inet6', address: '::', port: 8080, iface: null, process: { name: 'docker-proxy', pid: expect.any(Number) } },
    ]);
    expect(parseSs('udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=1,fd=1))')).toEqual([{ proto: 'udp', family: 'inet', address: '127.0.0.53', port: 53, iface: 'lo', process: { name: 'systemd-resolve', pid: 1 } }]);
  });

  it('the replayed snapshot names the process holding each container\'s socket', async () => {
    const s = await replay();
    expect(s.sockets!.sandboxes).toHaveLength(3);
    for (const sb of s.sockets!.sandboxes) expect(sb.sockets.find((x) => x.port === 80)?.process?.name).toBe('httpd');
  });
});
