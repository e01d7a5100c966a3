import { pullModel, pullOptionsFromConfig } from '../model/hub/index.js';
import type { CliCommand } from './context.js';

/** `pull <org/name>[@revision]`: download a model into MODEL_CACHE, print its folder. */
export const pullCommand: CliCommand = (program, context) => {
  program
    .command('pull')
    .description('download a model from the Hub into MODEL_CACHE and print its folder')
    .argument('<model>', 'a Hub repo, org/name[@revision]')
    .action(async (model: string) => {
      const config = context.config({});
      const pulled = await pullModel(model, pullOptionsFromConfig(config, { log: context.io.err }));
      context.io.out(pulled.dir);
      context.exitCode = 0;
    });
};
