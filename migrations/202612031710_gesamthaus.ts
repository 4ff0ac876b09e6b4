import type { Knex } from 'knex';

/**
 * Upgrades change nothing anyone sees: every bank gets one department, "Gesamthaus", holding
 * every container, its data and every template, and every member of the bank belongs to it.
 * The owner is subject to the tenant policy like everyone, so this runs bank by bank.
 */
const TABLES = [
  'containers', 'customer_groups', 'products', 'payments', 'imports', 'calculations',
  'segmentation_result_chunks', 'leasing_result_chunks', 'segmentation_templates',
];



export async function up(knex: Knex): Promise<void> {
  const tenants = (await knex('tenants').select('id')) as { id: string }[];
  for (const t of tenants) {
    await knex.raw("select set_config('app.tenant_id', ?, true)", [t.id]);
    const [row] = await knex('departments').insert({ tenant_id: t.id, name: 'Gesamthaus' }).returning('id');
    const departmentId = (row as { id: string }).id;
    await knex.raw(
      'insert into membership_departments (tenant_id, user_id, department_id) select tenant_id, user_id, ? from memberships where tenant_id = ?',
      [departmentId, t.id],
    );
    for (const table of TABLES) await knex.raw('update ?? set department_id = ? where tenant_id = ?', [table, departmentId, t.id]);
  }
  await knex.raw("select set_config('app.tenant_id', '', true)");
}

/** The departments go with the tables of the migration before; nothing else to undo. */
export async function down(): Promise<void> {}
