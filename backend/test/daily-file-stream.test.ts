import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DailyFileStream } from '../src/log/daily-file-stream.js';

describe('daily log files', () => {
  it('writes one file per day and keeps only the last N days', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-log-'));
    let now = new Date('2026-01-01T10:00:00Z');
    const stream = new DailyFileStream(dir, 30, { now: () => now });
    for (let day = 0; day < 40; day++) {
      now = new Date(Date.UTC(2026, 0, 1 + day, 10));
      stream.write(`line ${day}\n`);
    }
    stream.close();
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 30);
    assert.equal(files[0], 'kontor-2026-01-11.log');
    assert.equal(files.at(-1), 'kontor-2026-02-09.log');
    assert.equal(fs.readFileSync(path.join(dir, 'kontor-2026-02-09.log'), 'utf8'), 'line 39\n');
    assert.equal(fs.statSync(path.join(dir, files[0])).mode & 0o777, 0o600);
    fs.rmSync(dir, { recursive: true });
  });
});
