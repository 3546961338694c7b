// The web view's stylesheet: one string inlined into the page (no CDN), focus always visible for keyboard use.
export const PAGE_STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#263238;background:#fafafa}
header{padding:8px 16px;background:#263238;color:#fff;display:flex;flex-wrap:wrap;gap:12px;align-items:center}
header h1{font-size:16px;margin:0}
header input,header select{font:inherit;padding:3px 6px;border-radius:4px;border:1px solid #90a4ae}
#q{width:24em}#portnum{width:6em}
#status{display:flex;flex-wrap:wrap;gap:8px;padding:6px 16px;background:#eceff1;font-size:12px;align-items:center}
#status .host{font-weight:600}
.chip{display:inline-block;padding:0 6px;border-radius:8px;margin-left:3px;background:#c8e6c9}
.chip.s-partial{background:#fff9c4}.chip.s-failed{background:#ef9a9a}.chip.s-absent{background:#e0e0e0}
#banner{padding:8px 16px;background:#c62828;color:#fff;font-weight:600}
#banner[hidden]{display:none}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(340px,2fr);gap:12px;padding:12px}
section{background:#fff;border:1px solid #cfd8dc;border-radius:6px;padding:8px;overflow:auto}
section h2{font-size:14px;margin:0 0 6px}
#map{grid-column:1/3;max-height:90vh}#map svg{max-width:100%;height:auto}
#map g.edge{cursor:pointer}#map g.edge:hover path{stroke-width:4}
#map .dim{opacity:.15}#map .hit text{font-weight:700}
#detail{max-height:85vh;position:sticky;top:0;align-self:start}
#detail pre{white-space:pre-wrap;font-size:12px;background:#f5f5f5;padding:6px;border-radius:4px}
.v-reachable{color:#2e7d32}.v-blocked{color:#c62828}.v-unknown{color:#757575}.v-mixed{color:#ef6c00}
table.grid{border-collapse:collapse;font-size:11px}
table.grid td,table.grid th{border:1px solid #eceff1;padding:2px 4px;white-space:nowrap}
table.grid th.col{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
table.grid th.row{text-align:right;font-weight:normal}
table.grid th.hit{background:#fff59d;font-weight:700}
table.grid td.cell{cursor:pointer;min-width:26px;height:18px;text-align:center}
td.c-reachable{background:#66bb6a}td.c-blocked{background:#e53935;color:#fff}td.c-unknown{background:#90a4ae}td.c-mixed{background:#ffa726}td.c-none{background:#fff}
td.c-reachable.default{background:#e8f5e9;color:#607d8b}td.c-blocked.default{background:#fbe9e7;color:#90a4ae}
table.grid.compact td.cell{min-width:11px;width:11px;height:11px;padding:0}table.grid.compact th{padding:0 2px;font-size:9px;line-height:1}table.grid.compact th.col{padding:2px 0}
td.cell:focus,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #1565c0;outline-offset:-2px}
td.cell.open{box-shadow:inset 0 0 0 3px #263238}
ul.pairs{list-style:none;padding:0;margin:0}ul.pairs li{margin:2px 0}
ul.pairs button{font:inherit;background:none;border:1px solid #eceff1;border-radius:4px;padding:2px 6px;cursor:pointer;text-align:left;width:100%}
.fix{border-top:1px solid #cfd8dc;padding:8px 0}.fix code{display:block;font-size:11px;white-space:pre-wrap;background:#f5f5f5;padding:4px;margin:2px 0}
.fix .wider{display:block;background:#fff3e0;border:1px solid #ffb74d;padding:4px;border-radius:4px;margin:4px 0}
.result{border:2px solid #90a4ae;border-radius:4px;padding:6px;margin:6px 0}.result.ok{border-color:#2e7d32}.result.bad{border-color:#c62828}
.muted{color:#607d8b;font-size:12px}
`;
