import os from 'node:os';
import { fail } from '../http/error-catalogue.js';
import argon2 from 'argon2';

/** OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashing is deliberately expensive, so at most `concurrency` hashes run at once and a bounded
 * queue waits behind them; when the queue is full the request is refused with 503 `busy`
 * instead of letting a login flood starve every other request.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private dummyHash: Promise<string> | undefined;

  constructor(
    // At most 2, and never every core: a login flood must leave CPU for everybody else.
    private readonly concurrency = Math.min(2, Math.max(1, os.availableParallelism() - 1)),
    private readonly maxQueue = 64,
  ) {}

  hash(password: string): Promise<string> {
    return this.slot(() => argon2.hash(password, OPTIONS));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.slot(() => argon2.verify(hash, password));
  }

  /** Same cost as a real verification, for unknown accounts, so timing reveals nothing. */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= argon2.hash('kontor-dummy-password-for-equal-work', OPTIONS);
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) throw fail('busy');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
