import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../src/errors.js';

/** The codes the README's error tables name: backticked words in their last column. */
function readmeCodes(): Set<string> {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf("Errors use FastAPI's shape");
  const end = readme.indexOf('An empty list gives');
  assert.ok(start >= 0 && end > start, 'the README has its error tables');
  const codes = new Set<string>();
  const lines = readme.slice(start, end).split('\n');
  for (const [index, line] of lines.entries()) {
    const cells = line.split('|').map((cell) => cell.trim());
    const last = cells.at(-2);
    const isHeader = /^\|[\s|-]+\|$/.test(lines[index + 1] ?? '');
    if (!line.startsWith('|') || last === undefined || /^-+$/.test(last) || isHeader) continue;
    for (const [, code] of last.matchAll(/`([a-z_]+)`/g)) codes.add(code as string);
  }
  return codes;
}

test('every code of the error catalogue is in the README error tables, and vice versa', () => {
  const documented = readmeCodes();
  const catalogued = new Set(Object.keys(ERROR_CATALOGUE));
  assert.deepEqual(
    [...catalogued].filter((code) => !documented.has(code)),
    [],
    'codes missing from the README',
  );
  assert.deepEqual(
    [...documented].filter((code) => !catalogued.has(code)),
    [],
    'README codes the catalogue does not have',
  );
});

test('every catalogue entry has an HTTP status and a message', () => {
  for (const [code, { status, message }] of Object.entries(ERROR_CATALOGUE)) {
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(message.length > 0, code);
  }
});
