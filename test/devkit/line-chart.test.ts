import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { lineChartSpec, renderLineChart } from '../../devkit/line-chart.js';

/** Whether a font file is installed where resvg's system-font scan looks (Linux). */
function hasFonts(): boolean {
  const dirs = [
    '/usr/share/fonts',
    '/usr/local/share/fonts',
    join(homedir(), '.local/share/fonts'),
  ];
  return dirs.some(
    (dir) =>
      existsSync(dir) &&
      readdirSync(dir, { recursive: true }).some((f) => /\.(ttf|otf|ttc)$/i.test(String(f))),
  );
}

/** For `test(name, { skip: skipWithoutFonts() })`; an error under REQUIRE_ALL=1 (CI). */
function skipWithoutFonts(): string | false {
  if (hasFonts()) return false;
  if (process.env.REQUIRE_ALL === '1') throw new Error('REQUIRE_ALL=1 but no font is installed');
  return 'needs a system font (apt-get install fonts-dejavu-core)';
}

describe('line charts (devkit/line-chart.ts)', () => {
  test('the PNG has the text of the SVG drawn in it', { skip: skipWithoutFonts() }, async () => {
    const { svg, png } = await renderLineChart({
      title: 'A title long enough to cover many pixels when it is drawn',
      xLabel: 'seconds',
      yLabel: 'ms',
      series: [{ name: 'only', points: [[0, 1]] }],
    });
    // The same SVG rasterised with no font at all: every label missing, the rest the same.
    const textless = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: false, fontFiles: [] },
    })
      .render()
      .asPng();
    assert.equal(png.readUInt32BE(16), textless.readUInt32BE(16), 'same width');
    assert.ok(
      png.length > textless.length * 1.2,
      `the PNG (${png.length} B) is hardly larger than one without text (${textless.length} B)`,
    );
  });

  test('a symlog or fixed y scale when asked; past six series the legend wraps in rows of six', () => {
    const series = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `s${i}`,
        points: [[0, i]] as [number, number][],
      }));
    const axes = { title: 't', xLabel: 'x', yLabel: 'y' };
    const y = (spec: ReturnType<typeof lineChartSpec>) =>
      (spec as { encoding: { y: { scale?: unknown } } }).encoding.y;
    const legend = (spec: ReturnType<typeof lineChartSpec>) =>
      (spec as { encoding: { color: { legend: { columns?: number } } } }).encoding.color.legend;
    assert.equal(y(lineChartSpec({ ...axes, series: series(2) })).scale, undefined);
    assert.deepEqual(
      y(lineChartSpec({ ...axes, series: series(2), yScale: { type: 'symlog' } })).scale,
      {
        type: 'symlog',
      },
    );
    assert.equal(legend(lineChartSpec({ ...axes, series: series(6) })).columns, undefined);
    assert.equal(legend(lineChartSpec({ ...axes, series: series(12) })).columns, 6);
  });
});
