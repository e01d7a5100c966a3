import type { Command } from 'commander';
import type { Config } from '../config.js';

/** Output streams and the terminal, so tests can run a command in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Whether stdout is a terminal (predict prints a table then). */
  readonly stdoutIsTTY?: boolean;
  /** Whether stdin is a terminal (predict then asks for texts instead of waiting). */
  readonly stdinIsTTY?: boolean;
  /** All of stdin, for `predict` with no texts or `-`. */
  readStdin?(): Promise<string>;
}

/** What every command is given: the environment, the streams and how to serve. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: CliIo;
  /** Starts the HTTP service and keeps the process serving (main.ts owns signals and exit). */
  serve(config: Config): Promise<void>;
  /**
   * The one Config, from the environment with the command's flags applied as environment
   * overrides (config-flags.ts), so validation and its messages stay in config.ts.
   */
  config(overrides: Readonly<Record<string, string>>): Config;
  /** The exit code of the command that ran; unset while the service serves. */
  exitCode: number | undefined;
}

/** A command: one file that adds itself to the program. */
export type CliCommand = (program: Command, context: CliContext) => void;

/** A usage mistake found by a command itself: one line, exit 2 (as commander's own). */
export class UsageError extends Error {}
