/**
 * deploy/docker/Dockerfile, linted offline: dockerfile-utils' validator (a real parser: syntax,
 * unknown instructions, bad flags), then the project's own rules for the image. The build and
 * run themselves are `npm run test:image` (test/deploy/image.sh).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { REPO_ROOT } from '../../devkit/shared-data.js';

const DOCKERFILE = join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile');

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** The build stages, each with the instructions under its FROM. */
function stagesOf(content: string): Stage[] {
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of DockerfileParser.parse(content).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', as, name] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      stages.push({
        from: image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/** An instruction's text after its keyword, flags included, continuation lines joined. */
function textOf(content: string, instruction: Instruction): string {
  const { start, end } = instruction.getRange();
  return content
    .split('\n')
    .slice(start.line, end.line + 1)
    .filter((line) => !line.trimStart().startsWith('#'))
    .join(' ')
    .replace(/\\\s+/g, ' ')
    .replace(/^\s*\w+\s+/, '');
}

/**
 * The project's rules for its image, on a Dockerfile's text; throws at the first one broken.
 * Multi-stage, the final stage on the pinned Debian slim Node of the engines line, a numeric
 * non-root user, no dev dependencies, sources or build tools in the final stage, HEALTHCHECK,
 * the offline model, OCI labels, an exec-form entry point, /tmp declared.
 */
function checkImageRules(content: string): void {
  const stages = stagesOf(content);
  const final = stages.at(-1) as Stage;
  const argsOf = (stage: Stage, keyword: string) =>
    stage.instructions.filter((i) => i.getKeyword() === keyword).map((i) => textOf(content, i));
  /** ARG defaults declared before the first FROM: what `${NODE_IMAGE}` means. */
  const globalArgs = new Map(
    [...content.split('\n').entries()]
      .filter(
        ([line]) =>
          line < (DockerfileParser.parse(content).getFROMs()[0]?.getRange().start.line ?? 0),
      )
      .map(([, text]) => /^ARG (\w+)=(.*)$/.exec(text))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] as string, match[2] as string]),
  );

  assert.ok(stages.length >= 3, 'build, model and runtime stages');
  assert.equal(final.from, '${NODE_IMAGE}');
  const image = globalArgs.get('NODE_IMAGE') ?? '';
  const match = /^node:(\d+)\.\d+\.\d+-(trixie|bookworm)-slim$/.exec(image);
  assert.ok(
    match,
    `NODE_IMAGE ${image} is node:<major.minor.patch>-<debian>-slim (pinned, glibc, not Alpine)`,
  );
  const engines = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    }
  ).engines.node;
  assert.match(
    engines,
    new RegExp(`\\^${match[1]}\\.`),
    `package.json engines (${engines}) names Node ${match[1]}`,
  );
  for (const stage of stages.slice(0, -1))
    assert.ok(stage.name, `every stage but the last is named (${stage.from})`);

  const users = argsOf(final, 'USER');
  assert.ok(users.length > 0, 'a USER instruction');
  const user = users.at(-1) as string;
  assert.match(user, /^\d+(:\d+)?$/, 'numeric, so Kubernetes runAsNonRoot can check it');
  assert.notEqual(user.split(':')[0], '0');

  for (const run of argsOf(final, 'RUN')) {
    assert.doesNotMatch(run, /\b(apt-get|apt|apk)\s+install\b/, 'no packages installed');
    assert.doesNotMatch(run, /\bnpm\s+(ci|install|i)\b/, 'no npm install in the final stage');
  }
  const copies = argsOf(final, 'COPY');
  for (const copy of copies) {
    assert.match(copy, /--from=/, `${copy}: copies from a stage, not the context`);
    const sources = copy
      .split(/\s+/)
      .filter((token) => !token.startsWith('--'))
      .slice(0, -1);
    for (const source of sources)
      assert.ok(
        /\/dist\//.test(source) || !/(^|\/)(src|test|tsconfig[\w.]*)(\/|$)/.test(source),
        `${copy}: no TypeScript sources`,
      );
  }
  const nodeModules =
    copies.find((copy) => /node_modules/.test(copy)) ?? assert.fail('node_modules copied');
  const source = /--from=(\S+)/.exec(nodeModules)?.[1];
  const stage = stages.find((s) => s.name === source) ?? assert.fail(`stage ${source}`);
  assert.ok(
    argsOf(stage, 'RUN').some((run) => /npm (prune|ci|install)\b[^&]*--omit=dev/.test(run)),
    `node_modules comes from a stage that drops dev dependencies (${source})`,
  );

  assert.equal(argsOf(final, 'HEALTHCHECK').length, 1);
  const env = argsOf(final, 'ENV').join(' ');
  assert.match(env, /HF_HUB_OFFLINE=1/);
  assert.match(env, /MODEL_DIR=/);
  const labels = argsOf(final, 'LABEL').join(' ');
  for (const label of ['source', 'revision'])
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${label}=`));
  assert.match(labels, /model\.id=/);
  assert.match(labels, /model\.revision=/);
  assert.match(
    argsOf(final, 'ENTRYPOINT').at(-1) ?? '',
    /^\[/,
    'exec form: node is PID 1 and gets SIGTERM',
  );
  assert.match(argsOf(final, 'VOLUME').join(' '), /\/tmp/, 'the one writable place is declared');
}

const content = readFileSync(DOCKERFILE, 'utf8');
const stages = stagesOf(content);
const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword).map((i) => textOf(content, i));

test('Dockerfile: the parser finds no problem', () => {
  const problems = validate(content).map(
    (diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
  );
  assert.deepEqual(problems, []);
});

test("Dockerfile: the project's rules hold", () => {
  checkImageRules(content);
});

test('Dockerfile: a Dockerfile breaking a rule fails it', () => {
  const broken: [string, (text: string) => string, RegExp][] = [
    ['root user', (text) => text.replace('USER 1000:1000', 'USER root'), /numeric/],
    [
      'Alpine base',
      (text) => text.replace(/node:26\.[\d.]+-trixie-slim/, 'node:26-alpine'),
      /pinned, glibc/,
    ],
    [
      'no HEALTHCHECK',
      (text) => text.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ''),
      /HEALTHCHECK|1 !== 0|0 !== 1/,
    ],
    [
      'npm ci in the final stage',
      (text) => text.replace('USER 1000:1000', 'RUN npm ci\nUSER 1000:1000'),
      /no npm install/,
    ],
    [
      'dev dependencies kept',
      (text) => text.replace('npm prune --omit=dev', 'npm prune'),
      /drops dev dependencies/,
    ],
    [
      'no offline flag',
      (text) => text.replaceAll('HF_HUB_OFFLINE=1', 'HF_HUB_OFFLINE=0'),
      /HF_HUB_OFFLINE/,
    ],
  ];
  for (const [name, mutate, expected] of broken) {
    const mutated = mutate(content);
    assert.notEqual(mutated, content, `${name}: the mutation applies`);
    assert.throws(() => checkImageRules(mutated), expected, name);
  }
});

test('.dockerignore: sends only what the Dockerfile copies from the context', () => {
  const rules = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  assert.equal(rules[0], '*', 'everything excluded first');
  const allowed = rules
    .filter((rule) => rule.startsWith('!'))
    .map((rule) => rule.slice(1).replace(/\/$/, ''));
  const fromContext = stages
    .flatMap((stage) => argsOf(stage, 'COPY'))
    .filter((copy) => !copy.includes('--from='))
    .flatMap((copy) => copy.split(/\s+/).slice(0, -1));
  for (const source of fromContext) {
    const path = source.replace(/^\.\//, '').replace(/\/$/, '');
    assert.ok(allowed.includes(path), `${path} is let through .dockerignore`);
    assert.ok(existsSync(join(REPO_ROOT, path)), `${path} exists`);
  }
  for (const path of allowed)
    assert.ok(
      existsSync(join(REPO_ROOT, path)),
      `.dockerignore lets through ${path}, which exists`,
    );
  assert.ok(statSync(join(REPO_ROOT, 'deploy', 'docker', 'bake-model.sh')).isFile());
});
