import { Transform } from 'node:stream';

export class MalformedCsv extends Error {
  constructor(readonly line: number) {
    super('malformed csv');
  }
}

/**
 * Splits one physical line on `;`, honouring RFC 4180 double quotes. No cell of the import formats
 * may contain a line break, so every line is exactly one record and its number is exact.
 */
export function splitLine(text: string, line: number): string[] {
  if (!text.includes('"')) return text.split(';');
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new MalformedCsv(line);
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      cells.push(value);
      if (i === text.length) return cells;
      if (text[i] !== ';') throw new MalformedCsv(line);
      i++;
    } else {
      const sep = text.indexOf(';', i);
      const cell = sep < 0 ? text.slice(i) : text.slice(i, sep);
      if (cell.includes('"')) throw new MalformedCsv(line);
      cells.push(cell);
      if (sep < 0) return cells;
      i = sep + 1;
    }
  }
}

/**
 * Decoded text in, batches of lines out: calls `onLine` for every non-empty line (BOM and CRs
 * removed) and pushes whatever it returns, joined, once per input chunk. One stream step per
 * chunk instead of per row is what makes the import fast.
 */
export function csvBatches(onLine: (cells: string[], line: number) => string | undefined): Transform {
  let rest = '';
  let line = 0;
  let first = true;
  const handle = (text: string, out: string[]) => {
    line++;
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (clean.trim() === '') return;
    const produced = onLine(splitLine(clean, line), line);
    if (produced) out.push(produced);
  };
  return new Transform({
    decodeStrings: false,
    transform(chunk: string, _enc, done) {
      let text = rest + chunk;
      if (first) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const out: string[] = [];
      try {
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          handle(text.slice(start, nl), out);
          start = nl + 1;
        }
        rest = text.slice(start);
        done(null, out.length ? out.join('') : undefined);
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      const out: string[] = [];
      try {
        if (rest) handle(rest, out);
        done(null, out.length ? out.join('') : undefined);
      } catch (err) {
        done(err as Error);
      }
    },
  });
}
