// The collectors netdiag runs, in one explicit list (no registration by import side effects).
import { dnsCollector } from './dns.js';
import { dockerCollector } from './docker.js';
import { firewallCollector } from './firewall.js';
import { hostCollector } from './host.js';
import { linksCollector } from './links.js';
import { nftablesCollector } from './nftables.js';
import { routesCollector } from './routes.js';
import { socketsCollector } from './sockets.js';
import { swarmCollector } from './swarm.js';
import { sysctlsCollector } from './sysctls.js';

export const collectors = [dockerCollector, linksCollector, routesCollector, firewallCollector, nftablesCollector, sysctlsCollector, socketsCollector, hostCollector, dnsCollector, swarmCollector] as const;
