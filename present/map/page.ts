// The map as one HTML page: the picture, the network-by-network grid that opens into container pairs, and a panel
// with the why trace and fixes (consent before a change). Live (the agent's /ui: everything asked on demand from its
// JSON routes, redrawn on refresh) or static (`netdiag map --format html`: what is embedded). No CDN, no framework:
// air-gapped hosts open it as is.
import type { Fix, MapTopology, MatrixPair, WhyAnswer } from '../../snapshot/contract.js';
import { FIX_SCRIPT } from './page-fix.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

export { STEP_LINE } from './page-fix.js';

export interface PageData {
  mode: 'live' | 'static';
  title: string;
  /** Static only: what the live page fetches. */
  svg?: string;
  topology?: MapTopology;
  matrix?: MatrixPair[];
  /** Static only: each edge's example pair, explained, with its fixes. */
  explained?: Record<string, { why: WhyAnswer; fixes: Fix[] }>;
  /** Live only: the agent has a token, so a supplied one can apply a fix. */
  applyEnabled?: boolean;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
/** JSON inside <script>: `</script>` and `<!--` must not appear in it. */
const embed = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function mapPage(d: PageData): string {
  const data = { mode: d.mode, svg: d.svg ?? null, topology: d.topology ?? null, matrix: d.matrix ?? null, explained: d.explained ?? {}, applyEnabled: d.applyEnabled ?? false };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${PAGE_STYLE}</style></head>
<body><header><h1>${esc(d.title)}</h1>
<input id="q" type="search" placeholder="search container, network, host, address ( / )" aria-label="search" autocomplete="off">
<label>flow <select id="proto" aria-label="protocol"><option value="">ping</option><option value="tcp">TCP port</option><option value="udp">UDP port</option></select></label>
<input id="portnum" type="number" min="1" max="65535" placeholder="port" aria-label="port" disabled>
<input id="token" type="password" placeholder="token to apply fixes" aria-label="token" autocomplete="off" hidden></header>
<div id="status" role="status" aria-live="polite"></div><div id="banner" role="alert" hidden></div>
<main><section aria-label="grid"><h2>Networks: row reaches column <span class="muted" id="grid-count"></span></h2><div id="grid"></div></section>
<section id="detail" aria-label="details" aria-live="polite"><p class="muted">Pick a cell of the grid (arrow keys, Enter) or an edge of the map.</p></section>
<section id="map" aria-label="map"></section></main>
<script type="application/json" id="netdiag-data">${embed(data)}</script>
<script>${PAGE_SCRIPT}${FIX_SCRIPT}</script></body></html>
`;
}
