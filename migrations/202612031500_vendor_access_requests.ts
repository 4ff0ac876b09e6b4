import type { Knex } from 'knex';

/**
 * Vendor access requests (issue 17 item 1): the bank's access mode, and the requests with their
 * approved windows. Banks that exist before this upgrade start in `notify` (access as before, but
 * their admins are told); banks created afterwards start in `approval`.
 * `access_requests` is a platform table like vendor_grants: the vendor side lists it across banks,
 * the bank side reads its own rows by explicit tenant filter; the bank's audit chain holds each step.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table tenant_settings add column access_mode text not null default 'notify'");
  await knex.raw("alter table tenant_settings add constraint tenant_settings_access_mode check (access_mode in ('approval', 'notify', 'open'))");
  // Banks without a settings row yet (created lazily on first read) get one now, so they too start in notify.
  const tenants = (await knex('tenants').where({ is_vendor: false }).pluck('id')) as string[];
  for (const id of tenants) {
    await knex.transaction(async (trx) => {
      await trx.raw("select set_config('app.tenant_id', ?, true)", [id]);
      await trx.raw("insert into tenant_settings (tenant_id, access_mode) values (?, 'notify') on conflict (tenant_id) do nothing", [id]);
    });
  }
  await knex.raw("alter table tenant_settings alter column access_mode set default 'approval'");

  await knex.schema.createTable('access_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants');
    t.uuid('requester_id').notNullable().references('id').inTable('users');
    t.text('reason').notNullable();
    t.text('ticket');
    t.integer('minutes').notNullable();
    t.boolean('emergency').notNullable().defaultTo(false);
    /** The bank's mode when the request was filed. */
    t.text('mode').notNullable();
    t.text('status').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.uuid('decided_by').references('id').inTable('users');
    t.timestamp('decided_at', { useTz: true });
    t.timestamp('starts_at', { useTz: true });
    t.timestamp('ends_at', { useTz: true });
    t.uuid('revoked_by').references('id').inTable('users');
    t.timestamp('revoked_at', { useTz: true });
  });
  await knex.raw("alter table access_requests add constraint access_requests_status check (status in ('pending', 'approved', 'denied', 'revoked'))");
  await knex.raw("alter table access_requests add constraint access_requests_mode check (mode in ('approval', 'notify', 'open'))");
  await knex.raw('alter table access_requests add constraint access_requests_reason check (char_length(reason) between 10 and 500)');
  await knex.raw('alter table access_requests add constraint access_requests_ticket check (ticket is null or char_length(ticket) between 1 and 100)');
  await knex.raw('alter table access_requests add constraint access_requests_minutes check (minutes between 15 and 480 and (not emergency or minutes <= 60))');
  await knex.raw("alter table access_requests add constraint access_requests_window check ((status in ('approved', 'revoked')) = (starts_at is not null and ends_at is not null))");
  await knex.raw('create index access_requests_tenant_time on access_requests (tenant_id, created_at desc)');
  await knex.raw('create index access_requests_requester_time on access_requests (requester_id, created_at desc)');
  await knex.raw('create index access_requests_window on access_requests (tenant_id, requester_id, ends_at) where status = \'approved\'');
  await knex.raw('grant select, insert, update on access_requests to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('access_requests');
  await knex.raw('alter table tenant_settings drop column access_mode');
}
