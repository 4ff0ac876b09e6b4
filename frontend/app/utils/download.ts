/** Saves text as a file, built in the browser (nothing leaves it). */
export function saveText(filename: string, text: string, type = 'text/plain;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The byte-exact export, made ready for Excel: a UTF-8 byte order mark (so umlauts survive), `;`
 * between fields (as the export already has) and CRLF line ends. The data is left as it is.
 */
export function forExcel(csv: string): string {
  const body = csv.replace(/^\uFEFF/, '').replace(/\r?\n/g, '\r\n');
  return `\uFEFF${body}`;
}
