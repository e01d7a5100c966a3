import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whatever the working directory. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `../shared` beside the checkout (CI and developers' machines have it; a user's clone does not).
 * SHARED_DIR overrides the location.
 */
export const SHARED_DIR = process.env.SHARED_DIR ?? join(REPO_ROOT, '..', 'shared');

/** Absolute path of a file under ../shared. */
export function shared(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/**
 * For `test(name, { skip: skipWithoutShared('models/…') }, …)`: false when the file exists,
 * else a message that says what is missing, which node:test prints beside the skipped test.
 * With REQUIRE_ALL=1 (CI) a missing file is an error, not a skip.
 */
export function skipWithoutShared(...parts: string[]): string | false {
  const path = shared(...parts);
  if (existsSync(path)) return false;
  if (process.env.REQUIRE_ALL === '1') {
    throw new Error(`REQUIRE_ALL=1 but ${path} is missing`);
  }
  return `needs ${path} (the ../shared folder beside the checkout); absent in this clone`;
}
