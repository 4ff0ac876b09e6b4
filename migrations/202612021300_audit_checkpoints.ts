import type { Knex } from 'knex';

/**
 * Signed checkpoints of the hash chains (issue 16). Each row is a copy of a line Kontor appended to
 * `$KONTOR_HOME/checkpoints/<tenant>.jsonl`, signed with the Ed25519 key that lives only in
 * `$KONTOR_HOME/checkpoint-key.pem`. The copy here serves the bank's download and the syslog
 * stream; verification never trusts it alone (anyone owning the database could rewrite it), it
 * reads the files and checks each signature. Platform table (sign-in chains may have no tenant):
 * queries filter by tenant explicitly. The API role may insert and read, never change or delete.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_checkpoints', (t) => {
    t.bigIncrements('id', { primaryKey: true });
    t.uuid('tenant_id');
    t.text('chain').notNullable();
    t.bigInteger('last_seq').notNullable();
    t.binary('last_hash').notNullable();
    t.timestamp('signed_at', { useTz: true }).notNullable();
    t.text('key_id').notNullable();
    /** The signed JSON line exactly as written to the file. */
    t.text('line').notNullable();
    t.index(['tenant_id', 'chain', 'last_seq']);
  });
  await knex.raw('grant select, insert on audit_checkpoints to kontor_api');
  await knex.raw('grant usage on sequence audit_checkpoints_id_seq to kontor_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_checkpoints');
}
