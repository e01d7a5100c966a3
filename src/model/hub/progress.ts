import cliProgress from 'cli-progress';

/** Where pull progress goes: 'auto' = a bar on stderr if it is a TTY, else plain lines there. */
export type ProgressOption = 'auto' | 'none' | NodeJS.WritableStream;

/** Receives the byte flow of one pull; one instance per pull. */
export interface PullProgress {
  /** `totalBytes` of all files to fetch, when the Hub said. */
  start(totalBytes: number | undefined): void;
  /** A file begins; `resumedFrom` bytes are already on disk from an earlier try. */
  file(path: string, size: number | undefined, resumedFrom: number): void;
  /** More bytes of the current file arrived. */
  advance(bytes: number): void;
  fileDone(path: string): void;
  stop(): void;
}

/** Human-readable byte count: 1.5 MB, 812 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const silent: PullProgress = {
  start: () => {},
  file: () => {},
  advance: () => {},
  fileDone: () => {},
  stop: () => {},
};

/** A cli-progress bar over all bytes of the pull, redrawn in place on a terminal. */
function barProgress(stream: NodeJS.WritableStream): PullProgress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {done} / {size} | {eta_formatted} | {file}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let finished = 0; // bytes of files done
  let current = 0; // bytes of the file in flight, resumed part included
  let total = 0;
  let knownTotal = false;
  let name = '';
  const sized = new Set<string>();
  const payload = () => ({
    done: formatBytes(finished + current),
    size: formatBytes(total),
    file: name,
  });
  return {
    start(totalBytes) {
      knownTotal = totalBytes !== undefined;
      total = totalBytes ?? 0;
      bar.start(Math.max(total, 1), 0, payload());
    },
    // Called again on each retry of the same file, with what is on disk by then.
    file(path, size, resumedFrom) {
      name = path;
      current = resumedFrom;
      // Without sizes from the API the total grows as each file reveals its own.
      if (!knownTotal && size !== undefined && !sized.has(path)) {
        sized.add(path);
        bar.setTotal((total += size));
      }
      bar.update(finished + current, payload());
    },
    advance(bytes) {
      current += bytes;
      bar.update(finished + current, payload());
    },
    fileDone() {
      finished += current;
      current = 0;
    },
    stop() {
      bar.stop();
    },
  };
}

/** One line per file started and finished, plus quarter marks of large files: for logs. */
function lineProgress(stream: NodeJS.WritableStream): PullProgress {
  let size: number | undefined;
  let done = 0;
  let nextMark = 0.25;
  let current = '';
  const bigBytes = 10_000_000;
  return {
    start(totalBytes) {
      if (totalBytes !== undefined) stream.write(`pull: ${formatBytes(totalBytes)} to fetch\n`);
    },
    file(path, fileSize, resumedFrom) {
      current = path;
      size = fileSize;
      done = resumedFrom;
      nextMark = 0.25;
      const resumed = resumedFrom > 0 ? `, resuming at ${formatBytes(resumedFrom)}` : '';
      const sized = fileSize !== undefined ? ` (${formatBytes(fileSize)}${resumed})` : '';
      stream.write(`pull: fetching ${path}${sized}\n`);
    },
    advance(bytes) {
      done += bytes;
      if (size === undefined || size < bigBytes) return;
      while (nextMark < 1 && done >= size * nextMark) {
        stream.write(`pull: ${current} ${Math.round(nextMark * 100)}%\n`);
        nextMark += 0.25;
      }
    },
    fileDone(path) {
      stream.write(`pull: ${path} done (${formatBytes(done)})\n`);
    },
    stop() {},
  };
}

/** Picks the bar on a TTY, lines elsewhere, nothing for 'none'. */
export function createProgress(option: ProgressOption = 'auto'): PullProgress {
  if (option === 'none') return silent;
  const stream = option === 'auto' ? process.stderr : option;
  return (stream as { isTTY?: boolean }).isTTY ? barProgress(stream) : lineProgress(stream);
}
