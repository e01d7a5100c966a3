/**
 * Where a V8 CPU profile's samples went, by package or source file (or by function), per unit
 * of work: what `--node-args=--cpu-prof` of bench:misses-ab or bench:cached-ab writes, summed.
 *
 *   npx tsx devkit/profile-shares.ts FILE.cpuprofile --per 66000 [--skip-seconds 4]
 *     [--by file|function] [--match REGEX] [--top 40]
 *
 * Samples are counted, each as the profile's mean interval, rather than weighed by their
 * time deltas: V8 stretches a sample's delta over any wait for a core, which on a shared
 * machine flatters whatever ran just before a preemption. `--skip-seconds` leaves out the
 * start-up (module loading, warm-up); `--per` divides by the units of work done after it
 * (iterations, texts), so rows read as µs a unit. Idle samples are left out.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    per: { type: 'string', default: '1' },
    'skip-seconds': { type: 'string', default: '0' },
    by: { type: 'string', default: 'file' },
    match: { type: 'string' },
    top: { type: 'string', default: '40' },
  },
});
const [file] = positionals;
if (!file) throw new Error('profile-shares: name a .cpuprofile file');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const interval = (profile.endTime - profile.startTime) / profile.samples.length;

/** A frame's package (node_modules/…), source file, Node module, or native name. */
function place(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const inModules = url.split('node_modules/');
  if (inModules.length > 1) {
    const parts = (inModules.at(-1) as string).split('/');
    return (parts[0] as string).startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  if (url.startsWith('file://')) return url.replace(/^file:\/\/.*?\/(src|bench|devkit)\//, '$1/');
  return url || functionName || '(native)';
}

const key = (node: ProfileNode): string =>
  args.by === 'function'
    ? `${node.callFrame.functionName || '(anonymous)'} ${place(node)}:${node.callFrame.lineNumber + 1}`
    : place(node);

const skipUs = Number(args['skip-seconds']) * 1e6;
const totals = new Map<string, number>();
let elapsed = 0;
let busy = 0;
profile.samples.forEach((id, index) => {
  elapsed += profile.timeDeltas[index] ?? 0;
  const node = byId.get(id);
  if (elapsed < skipUs || !node || node.callFrame.functionName === '(idle)') return;
  busy += interval;
  const name = key(node);
  totals.set(name, (totals.get(name) ?? 0) + interval);
});

const per = Number(args.per);
const match = args.match === undefined ? undefined : new RegExp(args.match);
console.log(`${file}: ${(busy / per).toFixed(1)} µs busy a unit (${per} units), by ${args.by}`);
[...totals]
  .filter(([name]) => !match || match.test(name))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(args.top))
  .forEach(([name, us]) => console.log(`${(us / per).toFixed(2).padStart(9)}  ${name}`));
