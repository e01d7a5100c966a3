/**
 * bench:accuracy — SST-2 dev accuracy of the converter's fp32, fused and int8 graphs of the
 * shared small real model, and how often int8 agrees with fp32.
 *
 *   npm run bench:accuracy [-- --model ../shared/models/sst2-tiny-distilbert --dev ../shared/data/sst2/dev.tsv]
 */
import { parseArgs } from 'node:util';
import { shared } from '../devkit/shared-data.js';
import { measureSst2Accuracy } from '../devkit/sst2-accuracy.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: shared('models', 'sst2-tiny-distilbert') },
    dev: { type: 'string', default: shared('data', 'sst2', 'dev.tsv') },
  },
});
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
const results = await measureSst2Accuracy(args.model, args.dev);
console.log('| graph | accuracy | agreement with fp32 | max |Δ logit| | size (MB) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${percent(r.accuracy)} | ${percent(r.agreement)} | ${r.maxLogitDiff.toExponential(2)} | ${(r.bytes / 1e6).toFixed(1)} |`,
  );
}
