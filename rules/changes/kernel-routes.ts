// The routes the kernel adds itself when an IPv4 address is put on an interface, as `ip route show table all` lists them.
import type { Route } from '../../snapshot/host-snapshot.js';

/**
 * An address `ip` on `dev` in `subnet`: the subnet on link (sourced from it) in main, the address itself in local.
 * Written where a change or an assumption gives a namespace an address (a network connect, a namespace not read).
 */
export function addressRoutes(dev: string, ip: string, subnet: string): [onLink: Route, own: Route] {
  return [
    { table: 'main', type: 'unicast', dst: subnet, family: 'inet', dev, gateway: null, prefsrc: ip, protocol: 'kernel', scope: 'link', metric: 0, nexthops: [], flags: [] },
    { table: 'local', type: 'local', dst: `${ip}/32`, family: 'inet', dev, gateway: null, prefsrc: ip, protocol: 'kernel', scope: 'host', metric: 0, nexthops: [], flags: [] },
  ];
}
