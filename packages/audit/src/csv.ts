import * as E from 'fp-ts/lib/Either.js';

/*
 * RFC 4180 CSV, the small part we need: every field quoted, quotes doubled,
 * CRLF between records. The reader accepts quoted and bare fields and LF or
 * CRLF line ends, so a spreadsheet's re-save still parses.
 */

export const csvRow = (fields: readonly string[]): string =>
  fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(',') + '\r\n';

/** Parses CSV text into rows of fields; Left names the line of the first problem. */
export const parseCsv = (text: string): E.Either<string, string[][]> => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
          return E.left(`line ${line}: text after a closing quote`);
        }
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (fieldStarted || field !== '') return E.left(`line ${line}: a quote inside an unquoted field`);
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = false;
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    field += c;
    fieldStarted = true;
    i++;
  }
  if (quoted) return E.left(`line ${line}: a quoted field is not closed`);
  if (fieldStarted || field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return E.right(rows);
};
