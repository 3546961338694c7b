// A collection limited to the containers a question names (`why A B`): Docker's container list is cheap, inspecting
// and entering every container is not. The list says which containers the names, ID prefixes and addresses mean;
// anything it cannot place (an alias, a typo, the host's own address) means: collect everything, and let the model
// answer or say what is known.
import { z } from 'zod';

const Summary = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()).default([]),
  State: z.string().optional(),
  HostConfig: z.looseObject({ NetworkMode: z.string().optional() }).optional(),
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), z.looseObject({ IPAddress: z.string().optional(), GlobalIPv6Address: z.string().optional() }).nullable()).optional() }).optional(),
});
type Summary = z.infer<typeof Summary>;

/** Given Docker's container list, the IDs to inspect; null for all of them. */
export type ContainerScope = (list: unknown[]) => Set<string> | null;

const addressesOf = (s: Summary) => Object.values(s.NetworkSettings?.Networks ?? {}).flatMap((n) => [n?.IPAddress, n?.GlobalIPv6Address].filter((a): a is string => !!a));

/** The one running container a word names, or null when the list alone cannot tell. */
function place(word: string, running: Summary[]): Summary | null {
  const name = word.slice(word.indexOf('/') + 1);
  const byName = running.filter((s) => s.Names.some((n) => n.replace(/^\//, '') === name));
  if (byName.length === 1) return byName[0] as Summary;
  if (byName.length > 1) return null;
  const byAddress = running.filter((s) => addressesOf(s).includes(name));
  if (byAddress.length === 1) return byAddress[0] as Summary;
  if (/^[0-9a-f]{3,64}$/.test(name)) {
    const byId = running.filter((s) => s.Id.startsWith(name));
    if (byId.length === 1) return byId[0] as Summary;
  }
  return null;
}

/**
 * The containers `why from to` needs: the two named (the word `host` needs none), the containers whose namespaces
 * they use (--network container:X), and any other holder of their addresses (a reply may land there).
 */
export function questionScope(words: string[]): ContainerScope {
  return (list) => {
    const running = list.map((x) => Summary.safeParse(x)).flatMap((r) => (r.success && (r.data.State ?? 'running') === 'running' ? [r.data] : []));
    const out = new Set<string>();
    for (const w of words) {
      if (w === 'host' || w.endsWith('/host')) continue;
      const s = place(w, running);
      if (!s) return null;
      out.add(s.Id);
      const mode = s.HostConfig?.NetworkMode ?? '';
      if (mode.startsWith('container:')) {
        const owner = place(mode.slice('container:'.length), running) ?? running.find((x) => x.Id.startsWith(mode.slice('container:'.length)));
        if (!owner) return null;
        out.add(owner.Id);
      }
    }
    const held = new Set(running.filter((s) => out.has(s.Id)).flatMap(addressesOf));
    for (const s of running) if (addressesOf(s).some((a) => held.has(a))) out.add(s.Id);
    return out;
  };
}
