import type { Knex } from 'knex';

/** The language a user chose in the SPA ('de' or 'en'); null until they choose (mails then go out in both). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table users add column locale text constraint users_locale check (locale in ('de', 'en'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop column locale');
}
