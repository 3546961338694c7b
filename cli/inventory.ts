// --inventory FILE: a YAML list of hosts, their agents' URLs and, per host, how to reach each agent over TLS and with
// basic auth — in Prometheus's scrape-config names (tls_config, basic_auth), so an operator writes them once.
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { AgentEntry } from './agent-access.js';
import { readUserFile } from './files.js';
import { UsageError } from './io.js';
import { shownPath } from './text.js';

const path = z.string().min(1, 'a file name');

/** Prometheus's tls_config, the part a client of netdiag's agent uses. */
const TlsConfig = z
  .object({
    ca_file: path.optional(),
    cert_file: path.optional(),
    key_file: path.optional(),
    server_name: z.string().min(1).optional(),
    insecure_skip_verify: z.boolean().optional(),
  })
  .strict()
  .refine((t) => Boolean(t.cert_file) === Boolean(t.key_file), 'cert_file and key_file go together: both or neither');

/** Prometheus's basic_auth, with the password only in a file (else --password-file or NETDIAG_AGENT_PASSWORD). */
const BasicAuth = z.object({ username: z.string().min(1), password_file: path.optional() }).strict();

const Host = z
  .object({
    name: z.string().regex(/^[\w.-]+$/, 'a host name has letters, digits, . _ -'),
    agent: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    tls_config: TlsConfig.optional(),
    basic_auth: BasicAuth.optional(),
  })
  .strict()
  // A tls_config on a plain-HTTP agent would be ignored in silence, and the operator would believe the host secured.
  .refine((h) => !h.tls_config || h.agent.startsWith('https:'), { message: 'tls_config needs an https:// agent URL', path: ['tls_config'] });

export const Inventory = z.object({ hosts: z.array(Host).min(1) }).strict();
export type Inventory = z.infer<typeof Inventory>;

export async function readInventory(file: string): Promise<Inventory> {
  const text = await readUserFile(file, 'inventory', '--inventory');
  // yaml loads only for an inventory: every other command would pay for compiling it at start.
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`the inventory ${shownPath(file)} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const r = Inventory.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`the inventory ${shownPath(file)}: ${i?.path.join('.') || '(top)'}: ${i?.message}`, 'expected hosts: [{name: h1, agent: https://10.0.0.1:9700, tls_config: {ca_file: ca.crt}}, …]');
  }
  const names = r.data.hosts.map((h) => h.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`the inventory ${shownPath(file)}: host ${dup} is listed twice`);
  return r.data;
}

/** The inventory's hosts as agents to ask; relative file names are the inventory directory's, as Prometheus's are. */
export async function inventoryAgents(file: string): Promise<(AgentEntry & { name: string })[]> {
  const dir = dirname(resolve(file));
  const at = (p: string | undefined) => (p === undefined ? undefined : resolve(dir, p));
  return (await readInventory(file)).hosts.map((h) => ({
    name: h.name,
    url: h.agent,
    ...(h.tls_config
      ? { tls: { caFile: at(h.tls_config.ca_file), certFile: at(h.tls_config.cert_file), keyFile: at(h.tls_config.key_file), serverName: h.tls_config.server_name, insecureSkipVerify: h.tls_config.insecure_skip_verify } }
      : {}),
    ...(h.basic_auth ? { basicAuth: { username: h.basic_auth.username, passwordFile: at(h.basic_auth.password_file) } } : {}),
  }));
}
