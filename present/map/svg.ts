// DOT to SVG with Graphviz itself, compiled to WebAssembly (@viz-js/viz): the layout is Graphviz's, not ours, and
// nothing needs installing beside node. Loaded on first use: a 5 MB module an agent that is never asked for a picture
// should not carry.
type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>;

let viz: Promise<Viz> | null = null;

export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const svg = (await viz).renderString(dot, { format: 'svg' });
  // The XML prologue and DOCTYPE stop the SVG being inlined into an HTML page.
  return svg.slice(svg.indexOf('<svg'));
}
