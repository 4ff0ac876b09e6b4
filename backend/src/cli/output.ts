/**
 * What the operator commands tell the person at the terminal, on purpose (not a log: logs go
 * through pino). Results go to stdout, so they can be piped; failures and misuse to stderr.
 */
export function say(...lines: string[]): void {
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}

/** Text that carries its own line ends (a PEM key). */
export function sayRaw(text: string): void {
  process.stdout.write(text);
}

export function complain(...lines: string[]): void {
  process.stderr.write(lines.map((l) => `${l}\n`).join(''));
}
