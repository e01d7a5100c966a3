import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { writeFileAtomic } from '../model/write-file-atomic.js';
import { defaultProfilePath } from '../monitoring/profile.js';
import { readReferenceData, ReferenceDataError } from '../monitoring/reference-data.js';
import { startService } from '../service.js';
import { addConfigFlags, configOverrides } from './config-flags.js';
import { UsageError, type CliCommand } from './context.js';
import { profileWithService } from './profile-run.js';

/**
 * `profile --data <file>`: runs the configured model over a reference data set and writes the
 * monitor's reference profile (src/monitoring/profile.ts): per feature its bins and shares,
 * the projection of the [CLS] representation when the graph gives it, and with labels the
 * reference's accuracy, precision, recall, F1 and calibration. Statistics only: no text.
 */
export const profileCommand: CliCommand = (program, context) => {
  const command = program
    .command('profile')
    .description("build the monitor's reference profile from a data set (TSV or JSONL)")
    .requiredOption('--data <file>', 'the reference texts: a TSV with a header, or JSON Lines')
    .option('--text-column <name>', 'the column of the texts (default: sentence, else text)')
    .option(
      '--label-column <name>',
      'the column of the labels, by name or class id (default: label, when present)',
    )
    .option(
      '--texts-per-request <n>',
      'group rows into requests of n texts (texts_per_request; a JSONL list is one request); without it and lists, the profile has no texts_per_request and the monitor learns it from traffic',
      positiveInteger,
    )
    .option(
      '--out <file>',
      "where to write it (default: the model folder's monitoring/reference-profile.json)",
    );
  addConfigFlags(command, ['modelDir', 'modelId', 'dtype', 'logLevel']);
  command.action(async (options: Record<string, unknown>) => {
    const config = context.config(configOverrides(options));
    const file = options.data as string;
    // Before the model loads: a mistyped path should cost nothing.
    if (!existsSync(file)) throw new UsageError(`--data ${file}: no such file`);
    const service = await startService(
      // One worker, no shared cache, no monitor of its own: a one-shot run over a data set.
      { ...config, inferenceWorkers: 1, redisUrl: undefined, monitor: false },
      pino(
        { level: config.logLevel },
        {
          write: (line: string) =>
            context.io.err((JSON.parse(line) as { msg?: string }).msg ?? line),
        },
      ),
      { representation: true },
    );
    try {
      let data;
      try {
        data = readReferenceData(file, service.model.config.labels, {
          text: options.textColumn as string | undefined,
          label: options.labelColumn as string | undefined,
          textsPerRequest: options.textsPerRequest as number | undefined,
        });
      } catch (error) {
        if (error instanceof ReferenceDataError) throw new UsageError(error.message);
        throw error;
      }
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: 'profile {bar} {value}/{total} texts | {eta_formatted}',
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(data.texts.length, 0);
      const profile = await profileWithService(service, data, {
        dataName: basename(file),
        onProgress: (done) => bar?.update(done),
      });
      bar?.stop();
      const out =
        (options.out as string | undefined) ?? defaultProfilePath(service.model.files.dir);
      writeFileAtomic(out, `${JSON.stringify(profile, null, 2)}\n`);
      const metrics = profile.metrics
        ? `, accuracy ${profile.metrics.accuracy.toFixed(4)}, F1 ${profile.metrics.f1.toFixed(4)}`
        : ', unlabelled';
      const projection = profile.projection
        ? `, ${profile.projection.components.length} representation components`
        : '';
      const requests =
        profile.source.requests === undefined
          ? ' (no requests: texts_per_request is learned from traffic)'
          : ` in ${profile.source.requests} requests`;
      context.io.out(
        `wrote ${out}: ${profile.source.texts} texts${requests}${metrics}${projection}`,
      );
    } finally {
      await service.close();
    }
    context.exitCode = 0;
  });
};

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number, at least 1');
  return n;
}
