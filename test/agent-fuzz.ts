// An HTTP fuzz of every route the agent's /openapi.json lists, shared by the unit fuzz (inject) and the lab's (raw sockets).

export interface FuzzRequest {
  /** What this case tries, for a failure message. */
  name: string;
  method: string;
  /** The request target exactly as sent (its encodings deliberate). */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface OpenApiParam {
  name: string;
  in: 'query' | 'path';
}
interface OpenApiOperation {
  parameters?: OpenApiParam[];
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown> } } } };
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** Valid values to start from, so each case breaks one thing (names of the captured seed host). */
export interface FuzzBase {
  names: Record<string, string>;
  headers?: Record<string, string>;
}

/** Query and path values, already as they go on the wire. */
export const BAD_VALUES: [string, string][] = [
  ['empty', ''],
  ['oversized 300', 'x'.repeat(300)],
  ['oversized 6000', 'y'.repeat(6000)],
  ['a lone %', '%'],
  ['bad hex %zz', '%zz'],
  ['truncated UTF-8', '%E0%A4%A'],
  ['invalid UTF-8', '%FF%FE'],
  ['a lone surrogate', '%ED%A0%80'],
  ['NUL', '%00'],
  ['NUL inside', 'alpine-01%00redis'],
  ['CRLF header injection', 'x%0d%0aSet-Cookie:%20a=b'],
  ['emoji', '%F0%9F%92%A9'],
  ['right-to-left override', '%E2%80%AE10-enip'],
  ['U+FFFF', '%EF%BF%BF'],
  ['negative', '-1'],
  ['zero', '0'],
  ['65536', '65536'],
  ['huge number', '99999999999999999999999'],
  ['1e309', '1e309'],
  ['NaN', 'NaN'],
  ['null', 'null'],
  ['true', 'true'],
  ['JSON array', '%5B1,2%5D'],
  ['JSON object', '%7B%22a%22:1%7D'],
  ['__proto__', '__proto__'],
  ['a port with no number', 'tcp/'],
  ['a port backwards', 'tcp/80'],
  ['an unknown protocol', '80/sctp'],
  ['two protocols', '80/tcp/udp'],
  ['path traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['a glob', '*'],
  ['spaces', '%20%20%20'],
  ['plus signs', '+++'],
];

/** Bodies as text, for routes that take JSON. */
function badBodies(base: Record<string, unknown>, props: string[]): [string, string][] {
  const deepArray = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const deepObject = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
  const out: [string, string][] = [
    ['empty JSON text', ''],
    ['truncated JSON', '{"from":'],
    ['not JSON', 'nul'],
    ['a JSON array', '[]'],
    ['a JSON string', '"alpine-01"'],
    ['a JSON number', '1'],
    ['JSON null', 'null'],
    ['an empty object', '{}'],
    ['deep arrays (5000)', deepArray],
    ['deep objects (3000)', deepObject],
    ['deep arrays in a field', JSON.stringify({ ...base, from: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', deepArray)],
    ['__proto__ key', JSON.stringify(base).replace(/^\{/, '{"__proto__":{"polluted":true},')],
    ['constructor.prototype key', JSON.stringify(base).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},')],
    ['an unknown property', JSON.stringify({ ...base, extra: 1 })],
    ['a duplicated key', JSON.stringify(base).replace(/^\{/, '{"from":"redis-1",')],
    ['a NUL in a string', JSON.stringify({ ...base, from: 'alpine-01\u0000' })],
    ['a lone surrogate', JSON.stringify(base).replace(/^\{/, '{"to":"\\ud800",')],
    ['a byte-order mark', `\ufeff${JSON.stringify(base)}`],
    ['just under the body limit', JSON.stringify({ ...base, from: 'z'.repeat(60_000) })],
    ['over the body limit', JSON.stringify({ ...base, from: 'z'.repeat(70_000) })],
  ];
  const wrong: [string, unknown][] = [['a number', 42], ['a float', 1.5], ['true', true], ['null', null], ['an array', ['alpine-01']], ['an object', { x: 1 }], ['a long string', 's'.repeat(5000)], ['an empty string', ''], ['-1', -1]];
  for (const p of props) for (const [what, v] of wrong) out.push([`${p}: ${what}`, JSON.stringify({ ...base, [p]: v })]);
  return out;
}

const CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', 'application/json, text/plain', '*/*', 'application/xml'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

/** Every case for every route the document lists. */
export function fuzzRequests(doc: OpenApiDoc, base: FuzzBase): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const h = base.headers ?? {};
  const valueOf = (name: string) => base.names[name] ?? 'alpine-01';
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const M = method.toUpperCase();
      const params = op.parameters ?? [];
      const query = params.filter((p) => p.in === 'query').map((p) => p.name);
      const path = params.filter((p) => p.in === 'path').map((p) => p.name);
      const fill = (vals: Record<string, string> = {}) => template.replace(/\{(\w+)\}/g, (_m, n: string) => vals[n] ?? encodeURIComponent(valueOf(n)));
      const qs = (over: Record<string, string | null>) => {
        const parts = query.map((q) => (q in over ? (over[q] === null ? null : `${q}=${over[q]}`) : `${q}=${encodeURIComponent(valueOf(q))}`)).filter((x): x is string => x !== null);
        return parts.length ? `?${parts.join('&')}` : '';
      };
      const bodyProps = Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {});
      const baseBody = Object.fromEntries(bodyProps.filter((p) => base.names[p] !== undefined).map((p) => [p, base.names[p]]));
      const json = op.requestBody ? { 'content-type': 'application/json' } : {};
      const okBody = op.requestBody ? JSON.stringify(baseBody) : undefined;
      const add = (name: string, url: string, extra: Partial<FuzzRequest> = {}) => out.push({ name: `${M} ${template}: ${name}`, method: M, url, headers: { ...h, ...json, ...(extra.headers ?? {}) }, ...(okBody !== undefined ? { body: okBody } : {}), ...(extra.body !== undefined ? { body: extra.body } : {}), ...(extra.method ? { method: extra.method } : {}) });

      for (const q of query) {
        for (const [what, v] of BAD_VALUES) add(`${q} ${what}`, fill() + qs({ [q]: v }));
        add(`${q} missing`, fill() + qs({ [q]: null }));
        add(`${q} repeated`, `${fill()}${qs({})}&${q}=a&${q}=b`);
        add(`${q}[] as an array`, `${fill()}${qs({ [q]: null })}${query.length > 1 ? '&' : '?'}${q}[]=a&${q}[]=b`);
        add(`${q}[x] as an object`, `${fill()}${qs({ [q]: null })}${query.length > 1 ? '&' : '?'}${q}[x]=a`);
      }
      for (const p of path) for (const [what, v] of BAD_VALUES.filter(([, v]) => v !== '')) add(`path ${p} ${what}`, fill({ [p]: v }) + qs({}));
      const strange = ['?__proto__=1', '?constructor[prototype][x]=1', '?unknown=1', '?&&&', '?=', '?%', '?a&b&c', `?${Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&')}`, '?%00=%00'];
      for (const s of strange) add(`query ${s.slice(0, 40)}`, fill() + (query.length ? `${qs({})}&${s.slice(1)}` : s));
      add('a trailing slash', `${fill()}/${qs({})}`);
      add('doubled slashes', `/${fill()}${qs({})}`);
      add('an encoded path', fill().replace(/\//g, '%2F') + qs({}));
      add('a fragment', `${fill()}${qs({})}#x`);
      for (const other of METHODS.filter((x) => x !== M)) add(`method ${other}`, fill() + qs({}), { method: other, ...(other === 'GET' || other === 'HEAD' ? { body: '' } : {}) });
      if (op.requestBody) {
        for (const [what, b] of badBodies(baseBody, bodyProps)) add(`body ${what}`, fill() + qs({}), { body: b });
        for (const t of CONTENT_TYPES) add(`content-type ${t}`, fill() + qs({}), { headers: { 'content-type': t } });
        add('no content-type', fill() + qs({}), { headers: { 'content-type': '' } });
      } else if (M === 'GET') {
        add('a body on a GET', fill() + qs({}), { body: '{"from":"alpine-01"}', headers: { 'content-type': 'application/json' } });
      }
    }
  }
  return out;
}

/** A fuzz request as raw HTTP/1.1 bytes (the target verbatim: a client library would re-encode or refuse it). */
export function rawRequest(r: FuzzRequest, host: string): string {
  const headers = Object.entries(r.headers).filter(([, v]) => v !== '');
  const body = r.body ?? '';
  const target = r.url.replace(/#.*$/, '');
  return `${r.method} ${target} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}${body ? `content-length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;
}
