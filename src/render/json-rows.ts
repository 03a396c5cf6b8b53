// `limits --json` of 10,000 queues: JSON.stringify(doc, null, 2) gives each
// queue 30 lines, 7.4 MB in all, and the string and its UTF-8 copy exist at
// once. Here the document is laid out as JSON.stringify(doc, null, 2) lays it
// out, but the elements of the long arrays (the queues) are written one per
// line, compact: 3.0 MB, in chunks a writer can send as they come.

/** Where a row array stands in the indented text: JSON.stringify's string for the marker that replaced it. */
const MARK = '\u0000mq-doctor-rows:';

/** Chunks of about this many characters, so that no one string holds the whole document. */
const CHUNK = 64 * 1024;

/**
 * The JSON text of `doc`, indented by two spaces, with each element of the
 * arrays in `rows` (found by identity, anywhere in doc) on a line of its own.
 * Parses to what JSON.stringify(doc) does; with no such array, it is the same text.
 */
export function* jsonWithRows(doc: unknown, rows: ReadonlySet<readonly unknown[]>): Generator<string> {
  const found: Array<readonly unknown[]> = [];
  const outer = JSON.stringify(
    doc,
    (_key, value: unknown) => {
      if (!Array.isArray(value) || !rows.has(value as unknown[])) return value;
      found.push(value);
      return `${MARK}${found.length - 1}`;
    },
    2,
  );
  if (outer === undefined) return;
  // Each marker once, in order: a string of the document that happened to hold one would make the layout ambiguous.
  const quoted = found.map((_, i) => JSON.stringify(`${MARK}${i}`));
  const at = quoted.map((q) => outer.indexOf(q));
  const markers = outer.split(JSON.stringify(MARK).slice(0, -1)).length - 1;
  if (markers !== found.length || at.some((pos, i) => pos < 0 || (i > 0 && pos <= at[i - 1]!))) {
    yield `${JSON.stringify(doc, null, 2)}\n`;
    return;
  }
  let chunk = '';
  let from = 0;
  for (let i = 0; i < found.length; i++) {
    const pos = at[i]!;
    chunk += outer.slice(from, pos);
    from = pos + quoted[i]!.length;
    const items = found[i]!;
    if (items.length === 0) {
      chunk += '[]';
      continue;
    }
    const lineStart = outer.lastIndexOf('\n', pos) + 1;
    const indent = /^ */.exec(outer.slice(lineStart, pos))![0];
    chunk += '[\n';
    for (let j = 0; j < items.length; j++) {
      // As in JSON.stringify, an element that has no JSON (undefined, a function) is null.
      chunk += `${indent}  ${JSON.stringify(items[j]) ?? 'null'}${j + 1 < items.length ? ',' : ''}\n`;
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
    chunk += `${indent}]`;
  }
  yield `${chunk}${outer.slice(from)}\n`;
}
