// Pure parser for resolv.conf(5) as glibc and moby's resolvconf package read it: nameserver, search (domain), options.
import type { ResolvConf } from '../snapshot/host-snapshot.js';

/** The lines that decide resolution; comments (`#`, `;`) and other keywords are not kept. */
export function parseResolvConf(path: string, text: string): ResolvConf {
  const out: ResolvConf = { path, nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    // `domain` is the obsolete spelling of `search`; as in moby's parser, the last one wins.
    else if ((key === 'search' || key === 'domain') && rest.length > 0) out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}
