import type { Knex } from 'knex';

const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

/**
 * Four-eyes for privileged changes (issue 17 item 2). Banks that exist before the upgrade keep
 * today's behaviour (off; the vendor decides per bank); every bank created afterwards starts with
 * it on, whichever code path creates its settings row. A proposed change is stored as data
 * (`kind` + `payload`) and applied by the same service code once a second admin approves.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_settings add column four_eyes boolean not null default false');
  await knex.raw('alter table tenant_settings alter column four_eyes set default true');

  await knex.schema.createTable('approvals', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.uuid('id').notNullable();
    t.text('kind').notNullable();
    /** The right an approver must hold (the right of the route that proposed it). */
    t.text('required_right').notNullable();
    t.jsonb('payload').notNullable();
    /** What the list shows (target email, role names, fields): ids and names, never customer data. */
    t.jsonb('summary').notNullable();
    t.uuid('subject_id');
    t.text('reason').notNullable();
    t.uuid('proposed_by').notNullable();
    t.timestamp('proposed_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.uuid('decided_by');
    t.timestamp('decided_at', { useTz: true });
    t.text('failure_code');
    t.primary(['tenant_id', 'id']);
    t.index(['tenant_id', 'status', 'expires_at']);
  });
  await knex.raw("alter table approvals add constraint approvals_status check (status in ('pending', 'approved', 'rejected', 'expired', 'failed'))");
  await knex.raw('alter table approvals enable row level security');
  await knex.raw('alter table approvals force row level security');
  await knex.raw(TENANT_POLICY, ['approvals']);
  await knex.raw('grant select, insert, update on approvals to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('approvals');
  await knex.raw('alter table tenant_settings drop column four_eyes');
}
