import type { Knex } from 'knex';

/**
 * Vendor staff see only the departments the bank's approval names (issue 18 item 3): each access
 * window records them. Windows opened before this upgrade name every department of their bank
 * (each bank has just its Gesamthaus then), so a visit under way sees what it saw before.
 * Vendor staff are no members of a bank's departments (the Gesamthaus upgrade put everyone with
 * a membership in); their windows decide what they see.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table access_requests add column department_ids uuid[] not null default '{}'");
  const tenants = (await knex('tenants').where({ is_vendor: false }).pluck('id')) as string[];
  for (const id of tenants) {
    await knex.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [id]);
      await trx.raw(
        "update access_requests set department_ids = coalesce((select array_agg(d.id order by d.id) from departments d where d.tenant_id = ?), '{}') where tenant_id = ?",
        [id, id],
      );
      await trx.raw(
        'delete from membership_departments md using users u where md.tenant_id = ? and u.id = md.user_id and u.tenant_id <> md.tenant_id', [id]);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table access_requests drop column department_ids');
}
