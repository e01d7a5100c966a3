/**
 * Line charts as SVG and PNG, for load runs now and the monitoring reports later: a Vega-Lite
 * spec compiled to Vega, rendered headless (a View with renderer 'none', `toSVG()`), and the
 * SVG rasterised by resvg. resvg draws text only with a font it can find, so it loads the
 * system's (CI installs DejaVu; `fc-list` shows what a machine has).
 */
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One named line: [x, y] points in x order; a non-finite y breaks the line there. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** A CSS colour; Vega's category palette when absent. */
  readonly color?: string;
  readonly dashed?: boolean;
}

/** What to draw. */
export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** The y scale: symlog for values spanning decades (0 allowed); a fixed domain. */
  readonly yScale?: { readonly type?: 'linear' | 'symlog'; readonly domain?: [number, number] };
  /** The plot area in CSS pixels (axes, title and legend come on top). */
  readonly width?: number;
  readonly height?: number;
}

/** A rendered chart. */
export interface RenderedChart {
  readonly svg: string;
  readonly png: Buffer;
}

/** Vega's category10, for series without a colour. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const FONT = 'DejaVu Sans';
/** PNG pixels per SVG pixel: sharp on a high-density screen, still a small file. */
const PNG_ZOOM = 2;

/** The Vega-Lite spec of `chart`: one line per series, legend below, a gap where y is missing. */
export function lineChartSpec(chart: LineChartSpec): TopLevelSpec {
  const names = chart.series.map((s) => s.name);
  const values = chart.series.flatMap((s) =>
    s.points.map(([x, y]) => ({ series: s.name, x, y: Number.isFinite(y) ? y : null })),
  );
  // Past six series the legend wraps in rows of six rather than running wider than the plot.
  const legend = {
    orient: 'bottom',
    direction: 'horizontal',
    ...(names.length > 6 ? { columns: 6 } : {}),
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: chart.width ?? 700,
    height: chart.height ?? 260,
    background: 'white',
    config: { font: FONT },
    data: { values },
    // A null y breaks the path rather than joining its neighbours or dropping to 0.
    mark: { type: 'line', strokeWidth: 1.5, invalid: 'break-paths-show-domains' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.xLabel },
      y: {
        field: 'y',
        type: 'quantitative',
        title: chart.yLabel,
        ...(chart.yScale ? { scale: { ...chart.yScale } } : {}),
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: names,
        scale: {
          domain: names,
          range: chart.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!),
        },
        legend,
      },
      strokeDash: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: names,
        scale: { domain: names, range: chart.series.map((s) => (s.dashed ? [6, 4] : [1, 0])) },
        legend,
      },
    },
  };
}

/** Renders `chart` to an SVG document and a PNG image of it. */
export async function renderLineChart(chart: LineChartSpec): Promise<RenderedChart> {
  const view = new View(parse(compile(lineChartSpec(chart)).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: PNG_ZOOM },
      font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT },
    })
      .render()
      .asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
