import type { Knex } from 'knex';

/** How long a bank keeps its review records (access to customer data, rights, vendor switches, refusals). */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_settings add column audit_review_months integer not null default 13');
  await knex.raw('alter table tenant_settings add constraint tenant_settings_audit_review_months check (audit_review_months between 6 and 120)');
  // Retention (the kontor_retention role) reads the period of each bank.
  await knex.raw('grant select on tenant_settings to kontor_retention');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_settings drop column audit_review_months');
}
