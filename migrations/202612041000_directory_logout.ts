import type { Knex } from 'knex';

/**
 * OpenID Connect Back-Channel Logout (issue 21):
 *
 * - `sessions.directory_sid`: the provider's session id (`sid` of the ID token) a Kontor session
 *   was opened from, so a logout token naming that `sid` ends only those sessions.
 * - `used_logout_tokens`: each logout token's `jti` once per bank until the token could no longer
 *   be accepted anyway; the primary key makes a replay, even a parallel one, fail. Tenant-owned
 *   (RLS like sessions); the retention run deletes expired rows.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table sessions add column directory_sid text');
  await knex.raw('alter table sessions add constraint sessions_directory_sid_length check (length(directory_sid) <= 255)');
  await knex.raw('create index sessions_directory_sid on sessions (tenant_id, directory_sid) where directory_sid is not null');

  await knex.schema.createTable('used_logout_tokens', (t) => {
    t.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE');
    t.text('jti').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'jti']);
  });
  await knex.raw('alter table used_logout_tokens add constraint used_logout_tokens_jti_length check (length(jti) between 1 and 255)');
  await knex.raw('create index used_logout_tokens_expires on used_logout_tokens (tenant_id, expires_at)');
  await knex.raw('alter table used_logout_tokens enable row level security');
  await knex.raw('alter table used_logout_tokens force row level security');
  await knex.raw("create policy tenant_isolation on used_logout_tokens using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)");
  await knex.raw('grant select, insert, delete on used_logout_tokens to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('used_logout_tokens');
  await knex.raw('alter table sessions drop column directory_sid');
}
