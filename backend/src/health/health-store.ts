import type { Knex } from 'knex';

/** One round trip to the database; rejects while it is unreachable. */
export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}
