import { addConfigFlags, configOverrides } from './config-flags.js';
import type { CliCommand } from './context.js';

/** `serve` (the default command): the HTTP service, configured by flags and environment. */
export const serveCommand: CliCommand = (program, context) => {
  const command = program
    .command('serve')
    .description('start the HTTP service (the default command)');
  addConfigFlags(command, [
    'host',
    'port',
    'modelDir',
    'modelId',
    'modelName',
    'dtype',
    'workers',
    'logLevel',
  ]);
  command.action(async (options: Record<string, unknown>) => {
    await context.serve(context.config(configOverrides(options)));
  });
};
