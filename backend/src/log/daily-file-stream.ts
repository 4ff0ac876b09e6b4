import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';

const FILE_PATTERN = /^kontor-(\d{4}-\d{2}-\d{2})\.log$/;
const DAY_MS = 24 * 60 * 60 * 1000;

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * A pino destination that writes one file per UTC day and removes files older
 * than `keepDays`. Writes are synchronous so a crash never loses the line that explains it.
 */
export class DailyFileStream {
  private currentDay: string | undefined;
  private fd: number | undefined;

  constructor(
    private readonly dir: string,
    private readonly keepDays: number,
    private readonly clock: Clock,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  write(line: string): void {
    const today = dayOf(this.clock.now());
    if (today !== this.currentDay) this.rollTo(today);
    fs.writeSync(this.fd!, line);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.currentDay = undefined;
  }

  private rollTo(day: string): void {
    this.close();
    this.fd = fs.openSync(path.join(this.dir, `kontor-${day}.log`), 'a', 0o600);
    this.currentDay = day;
    this.prune();
  }

  private prune(): void {
    const oldestKept = dayOf(new Date(this.clock.now().getTime() - (this.keepDays - 1) * DAY_MS));
    for (const name of fs.readdirSync(this.dir)) {
      const match = FILE_PATTERN.exec(name);
      if (match && match[1]! < oldestKept) fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }
}
