/**
 * What an error item may echo of the client's input. pydantic echoes the offending value
 * whole; a service must not, or one request of a few MiB buys an answer of hundreds of MiB
 * (or a stack overflow while serializing a value nested thousands deep). The echo keeps the
 * start of the value, enough to recognise it, and says what was cut.
 */
const MAX_STRING = 120;
const MAX_ITEMS = 8;
const MAX_DEPTH = 3;

/** A copy of `value` cut to a few levels, items and characters. */
export function boundedEcho(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_STRING
      ? `${value.slice(0, MAX_STRING)}… (${value.length - MAX_STRING} more characters)`
      : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return `[… a list of ${value.length} items]`;
    const shown = value.slice(0, MAX_ITEMS).map((item) => boundedEcho(item, depth + 1));
    if (value.length > MAX_ITEMS) shown.push(`… (${value.length - MAX_ITEMS} more items)`);
    return shown;
  }
  const shown: [string, unknown][] = [];
  // for…in stops early: Object.keys would first copy every key of a huge object.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (depth >= MAX_DEPTH) return '{… an object}';
    if (shown.length === MAX_ITEMS) {
      shown.push(['…', 'more keys not shown']);
      break;
    }
    const name = key.length > MAX_STRING ? `${key.slice(0, MAX_STRING)}…` : key;
    shown.push([name, boundedEcho((value as Record<string, unknown>)[key], depth + 1)]);
  }
  // fromEntries makes `__proto__` an own key, never the copy's prototype.
  return Object.fromEntries(shown);
}
