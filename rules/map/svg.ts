// DOT to SVG with Graphviz itself, compiled to WebAssembly (@viz-js/viz): the layout is Graphviz's, not ours, and
// nothing needs installing beside node.
import { instance } from '@viz-js/viz';

let viz: ReturnType<typeof instance> | null = null;

export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const svg = (await viz).renderString(dot, { format: 'svg' });
  // The XML prologue and DOCTYPE stop the SVG being inlined into an HTML page.
  return svg.slice(svg.indexOf('<svg'));
}
