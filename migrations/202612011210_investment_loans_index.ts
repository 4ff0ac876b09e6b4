import type { Knex } from 'knex';

/**
 * The leasing score asks, per business group, whether it holds an investment loan with a balance.
 * Such products are a few per cent of all; a partial index finds them without reading the rest
 * (a slice of the leasing calculation read every product of its groups for this, half its time).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("create index products_investment_loans on products (tenant_id, container_id, group_id) where product_group = 'INVESTMENT_LOAN' and balance <> 0");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index products_investment_loans');
}
