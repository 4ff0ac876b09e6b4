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
