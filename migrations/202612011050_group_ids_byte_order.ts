import type { Knex } from 'knex';

/**
 * group_id is compared byte-wise ("C") in the container tables, as it already was in the results.
 * The ids are ASCII by the import's rules; byte order is the order exports promise, so slices of a
 * calculation cut in the key's order are slices of the export's order on any server locale (the
 * compose database runs en_US), and comparing bytes is cheaper than a locale's collation.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['customer_groups', 'products', 'payments']) {
    await knex.raw('alter table ?? alter column group_id type text collate "C"', [table]);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['customer_groups', 'products', 'payments']) {
    await knex.raw('alter table ?? alter column group_id type text collate "default"', [table]);
  }
}
