import { InvalidArgumentError, Option } from 'commander';
import { runLoadTest, type ProfileName } from '../load/load-test.js';
import { UsageError, type CliCommand } from './context.js';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('takes a positive number.');
  return n;
}

function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('takes an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('takes an http:// or https:// URL.');
  return url.origin;
}

/**
 * `loadtest --url <base>`: the course's load test against a running service (src/load/):
 * the seed profile as a closed loop (whole with --full, else compressed), or the open model.
 * Exit 0 when no request failed (open model: some rate was sustained), 1 otherwise.
 */
export const loadtestCommand: CliCommand = (program, context) => {
  program
    .command('loadtest')
    .description("run the seed's load profile (or the open model) against a running service")
    .requiredOption(
      '--url <base>',
      'the service (or its balancer), e.g. http://127.0.0.1:8000',
      baseUrl,
    )
    .addOption(
      new Option(
        '--profile <name>',
        'seed: the whole 10.5 min profile; compressed: a quarter of its length; open: constant arrival rate of uncached texts',
      )
        .choices(['seed', 'compressed', 'open'])
        .default('compressed'),
    )
    .option('--full', 'the whole seed profile (as --profile seed); with open, 20 s steps')
    .option('--stages <list>', 'closed loop: other stages, duration:users, e.g. 5s:10,20s:10,5s:0')
    .option('--time-scale <x>', 'closed loop: every stage this many times its length', positive)
    .option('--metrics-url <url...>', "where to read /metrics (each replica's, behind a balancer)")
    .option('--max-requests <n>', 'stop starting requests after this many', positive)
    .option('--rate <n>', 'open model: one step at n requests/s (else the search)', positive)
    .option('--budget-ms <ms>', 'open model: p99 budget of a sustained rate', positive, 500)
    .option('--start-rate <n>', 'open model: the search starts here (requests/s)', positive, 10)
    .option('--step-seconds <s>', 'open model: seconds per step', positive)
    .option('--texts <n>', 'open model: unique texts per request', positive, 1)
    .option('--json', 'print the result as JSON (with the per-second series) instead of a report')
    .action(
      async (options: {
        url: string;
        profile: ProfileName;
        full?: boolean;
        stages?: string;
        timeScale?: number;
        metricsUrl?: string[];
        maxRequests?: number;
        rate?: number;
        budgetMs: number;
        startRate: number;
        stepSeconds?: number;
        texts: number;
        json?: boolean;
      }) => {
        if (
          options.stages &&
          !/^(\d+(\.\d+)?(ms|h|m|s))+:\d+(,(\d+(\.\d+)?(ms|h|m|s))+:\d+)*$/.test(options.stages)
        )
          throw new UsageError(
            `--stages: expected duration:users, e.g. 30s:10,7m:10,3m:0 (got '${options.stages}')`,
          );
        const outcome = await runLoadTest(
          {
            url: options.url,
            profile: options.full && options.profile !== 'open' ? 'seed' : options.profile,
            full: options.full === true,
            p99BudgetMs: options.budgetMs,
            startRate: options.startRate,
            textsPerRequest: options.texts,
            ...(options.stages ? { stages: options.stages } : {}),
            ...(options.timeScale ? { timeScale: options.timeScale } : {}),
            ...(options.metricsUrl ? { metricsUrls: options.metricsUrl.map(baseUrl) } : {}),
            ...(options.maxRequests ? { maxRequests: options.maxRequests } : {}),
            ...(options.rate ? { rate: options.rate } : {}),
            ...(options.stepSeconds ? { stepSeconds: options.stepSeconds } : {}),
          },
          (line) => context.io.err(line),
        );
        context.io.out(
          options.json
            ? JSON.stringify(
                outcome.kind === 'closed'
                  ? { profile: outcome.profile, ...outcome.result }
                  : outcome.result,
              )
            : outcome.report,
        );
        context.exitCode = outcome.passed ? 0 : 1;
      },
    );
};
