import type { Knex } from 'knex';

/** All SQL of passkeys (platform table user_passkeys: a credential belongs to a person, not a bank). */

export interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  /** bigint: node-postgres returns it as a string. */
  counter: string;
  transports: string[];
  device_type: string;
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export const MAX_PASSKEYS_PER_USER = 10;

export async function listPasskeys(db: Knex, userId: string): Promise<PasskeyRow[]> {
  return db('user_passkeys').where({ user_id: userId }).orderBy('created_at');
}

export async function countPasskeys(db: Knex, userId: string): Promise<number> {
  const row = await db('user_passkeys').where({ user_id: userId }).count<{ n: string }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

export async function findByCredentialId(db: Knex, credentialId: string): Promise<PasskeyRow | undefined> {
  return db('user_passkeys').where({ credential_id: credentialId }).first();
}

export async function insertPasskey(db: Knex, row: Omit<PasskeyRow, 'id' | 'last_used_at'>): Promise<string> {
  const [inserted] = await db('user_passkeys').insert(row).returning('id');
  return (inserted as { id: string }).id;
}

/**
 * Records a use, only if the counter moved forward (or both are 0: authenticators without a
 * counter). A concurrent use with the same counter loses: false means a replay or a clone.
 */
export async function recordUse(db: Knex, id: string, previous: number, next: number, backedUp: boolean, at: Date): Promise<boolean> {
  const q = db('user_passkeys').where({ id, counter: previous });
  return (await q.update({ counter: next, backed_up: backedUp, last_used_at: at })) === 1;
}

export async function deletePasskey(db: Knex, userId: string, id: string): Promise<boolean> {
  return (await db('user_passkeys').where({ user_id: userId, id }).delete()) === 1;
}
