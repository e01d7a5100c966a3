import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The page's files: `src/http/page/` under tsx, `dist/src/http/page/` once built (the build
 * script copies them there; tsc copies only what it compiles).
 */
const PAGE_DIR = fileURLToPath(new URL('../page/', import.meta.url));

/** URL → file and media type. The paths are the page's access class (http/access.ts). */
const PAGE_FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/page/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  '/page/page.css': ['page.css', 'text/css; charset=utf-8'],
} as const;

/**
 * `GET /`: a small page to try the model (one text per line, scores as bars, explanations as
 * highlighted words), served from this repository's files, no CDN, under its own strict CSP
 * (http/security.ts). The files are read once, at start; should they be missing (a build that
 * did not copy them), the service starts without the page and says so in its log.
 */
export function pageRoute(app: FastifyInstance): void {
  let files: [string, string, Buffer][];
  try {
    files = Object.entries(PAGE_FILES).map(([url, [file, type]]) => [
      url,
      type,
      readFileSync(join(PAGE_DIR, file)),
    ]);
  } catch (error) {
    app.log.warn({ err: error }, `the page's files are not in ${PAGE_DIR}: GET / is not served`);
    return;
  }
  for (const [url, type, content] of files) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      // no-cache: revalidated on each load, so a new version is never mixed with an old script.
      reply.type(type).header('cache-control', 'no-cache').send(content),
    );
  }
}
