import { readFileSync } from 'node:fs';
import { extname } from 'node:path';

/** A reference data set as the profile command reads it: texts, grouped in requests. */
export interface ReferenceData {
  readonly texts: string[];
  /**
   * Texts in each request, in order (they sum to texts.length); undefined when the data has
   * no requests: a TSV, or JSONL of single texts, without `textsPerRequest`. Rows of one text
   * are not "requests of one": that would tell the monitor every request carries one text.
   */
  readonly requests: number[] | undefined;
  /** Per text, its label's class id; undefined when the data has no label column. */
  readonly labels: number[] | undefined;
}

/** Which columns hold the text and the label; defaults: `sentence` or `text`, and `label`. */
export interface ReferenceColumns {
  readonly text?: string;
  readonly label?: string;
  /** Rows per request for data with no requests of its own (a TSV; JSONL with one text a line). */
  readonly textsPerRequest?: number;
}

/** A fault in the data file: names the file, the line and what is wrong. */
export class ReferenceDataError extends Error {}

/**
 * Reads `path`: a TSV with a header line (SST-2's `sentence<TAB>label`), or JSON Lines, one
 * object a line; a JSONL row whose text is a list of strings is one request of those texts
 * (its label then a list as long). Labels are the model's (`labels`, id2label order), by name
 * (any case) or by class id (SST-2's 0/1).
 */
export function readReferenceData(
  path: string,
  labels: readonly string[],
  columns: ReferenceColumns = {},
): ReferenceData {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReferenceDataError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const kind = extname(path).toLowerCase();
  const rows =
    kind === '.jsonl' || kind === '.ndjson' ? jsonlRows(path, content) : tsvRows(path, content);
  if (rows.length === 0) throw new ReferenceDataError(`${path} holds no rows`);
  const first = rows[0] as Row;
  const textColumn = columns.text ?? (['sentence', 'text'].find((c) => c in first.fields) || '');
  if (!(textColumn in first.fields))
    throw new ReferenceDataError(
      `${path}: no text column ${columns.text ?? '"sentence" or "text"'} (columns: ${Object.keys(first.fields).join(', ')}); use --text-column`,
    );
  const labelColumn = columns.label ?? ('label' in first.fields ? 'label' : undefined);
  if (labelColumn !== undefined && !(labelColumn in first.fields))
    throw new ReferenceDataError(`${path}: no label column ${labelColumn}`);
  const group = Math.max(1, columns.textsPerRequest ?? 1);
  let grouped = columns.textsPerRequest !== undefined;
  const texts: string[] = [];
  const requests: number[] = [];
  const ids: number[] = [];
  let pending = 0;
  for (const { line, fields } of rows) {
    const value = fields[textColumn];
    const label = labelColumn === undefined ? undefined : fields[labelColumn];
    if (Array.isArray(value)) {
      if (value.some((text) => typeof text !== 'string'))
        throw new ReferenceDataError(`${path}:${line}: ${textColumn} must be strings`);
      if (labelColumn !== undefined && (!Array.isArray(label) || label.length !== value.length))
        throw new ReferenceDataError(
          `${path}:${line}: ${labelColumn} must be a list as long as ${textColumn}`,
        );
      texts.push(...(value as string[]));
      if (labelColumn !== undefined)
        for (const one of label as unknown[]) ids.push(labelId(one, labels, `${path}:${line}`));
      requests.push(value.length);
      grouped = true;
      continue;
    }
    if (typeof value !== 'string')
      throw new ReferenceDataError(`${path}:${line}: ${textColumn} must be a string`);
    texts.push(value);
    if (labelColumn !== undefined) ids.push(labelId(label, labels, `${path}:${line}`));
    if (++pending === group) {
      requests.push(pending);
      pending = 0;
    }
  }
  if (pending > 0) requests.push(pending);
  return {
    texts,
    requests: grouped ? requests : undefined,
    labels: labelColumn === undefined ? undefined : ids,
  };
}

interface Row {
  readonly line: number;
  readonly fields: Record<string, unknown>;
}

/** GLUE's TSV: a header, then rows; the text is trimmed (SST-2 leaves a space before the tab). */
function tsvRows(path: string, content: string): Row[] {
  const lines = content.split('\n').map((line) => line.replace(/\r$/, ''));
  const header = (lines[0] ?? '').split('\t');
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const cells = line.split('\t');
    if (cells.length !== header.length)
      throw new ReferenceDataError(
        `${path}:${i + 1}: ${cells.length} columns, the header has ${header.length}`,
      );
    rows.push({
      line: i + 1,
      fields: Object.fromEntries(header.map((name, c) => [name, (cells[c] as string).trim()])),
    });
  }
  return rows;
}

function jsonlRows(path: string, content: string): Row[] {
  const rows: Row[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ReferenceDataError(`${path}:${i + 1}: ${(error as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new ReferenceDataError(`${path}:${i + 1}: each line must be a JSON object`);
    rows.push({ line: i + 1, fields: value as Record<string, unknown> });
  });
  return rows;
}

/** A label by name (any case) or class id, as a class id of `labels`. */
function labelId(value: unknown, labels: readonly string[], where: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text === 'string') {
    if (/^\d+$/.test(text) && Number(text) < labels.length) return Number(text);
    const named = labels.findIndex((label) => label.toLowerCase() === text.toLowerCase());
    if (named >= 0) return named;
  }
  throw new ReferenceDataError(
    `${where}: label ${JSON.stringify(value)} is none of ${labels.join(', ')} (or 0…${labels.length - 1})`,
  );
}
