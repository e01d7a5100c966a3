import { pino } from 'pino';
import { explainTexts } from '../engine/explain.js';
import { startService } from '../service.js';
import { addConfigFlags, configOverrides } from './config-flags.js';
import type { CliCommand } from './context.js';

/**
 * `explain <text…>`: each text's prediction and its words' contributions, in-process, by the
 * same occlusion as POST /explain (engine/explain.ts); prints the /explain response body.
 */
export const explainCommand: CliCommand = (program, context) => {
  const command = program
    .command('explain')
    .description('explain predictions word by word (leave-one-word-out occlusion), in-process')
    .argument('<texts...>', 'texts to explain; of each, the first EXPLAIN_MAX_WORDS words');
  addConfigFlags(command, ['modelDir', 'modelId', 'dtype', 'logLevel']);
  command.action(async (texts: string[], options: Record<string, unknown>) => {
    const config = context.config(configOverrides(options));
    // One worker and no shared cache, as `predict`: a one-shot command writes nothing to Redis.
    const service = await startService(
      { ...config, inferenceWorkers: 1, redisUrl: undefined },
      pino(
        { level: config.logLevel },
        {
          write: (line: string) =>
            context.io.err((JSON.parse(line) as { msg?: string }).msg ?? line),
        },
      ),
    );
    try {
      const explained = await explainTexts(service.engine.classifier, texts, {
        maxWords: config.explainMaxWords,
      });
      const explanations = explained.map(({ prediction, words, totalWords }) => ({
        prediction,
        words,
        total_words: totalWords,
        truncated: totalWords > words.length,
      }));
      context.io.out(JSON.stringify({ method: 'occlusion', explanations }));
    } finally {
      await service.close();
    }
    context.exitCode = 0;
  });
};
