import type { Knex } from 'knex';

/**
 * A third audit chain per bank, `review`, for the records a bank's access review needs (customer
 * data viewed or exported, rights and role changes, vendor switches, refusals). They are kept for
 * the bank's review period (tenant_settings.audit_review_months), other info events for 30 days,
 * errors forever; since retention only ever cuts a chain's old end, each retention class needs its
 * own chain. The chain is chosen by the application (recordAudit) and defaults to the level.
 * Existing rows stay in their chain (chain = level): their hashes already include it.
 */
const GENESIS = "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea";

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table audit_events add column chain text');
  await knex.raw('alter table audit_events no force row level security');
  await knex.raw('update audit_events set chain = level');
  await knex.raw('alter table audit_events force row level security');
  await knex.raw('alter table audit_events alter column chain set not null');
  await knex.raw(`alter table audit_events add constraint audit_events_chain_kind
    check ((level = 'error' and chain = 'error') or (level = 'info' and chain in ('info', 'review')))`);
  await knex.raw('drop index audit_events_chain_seq');
  await knex.raw('create unique index audit_events_chain_seq on audit_events (tenant_id, chain, seq)');
  await knex.raw(`
    create or replace function audit_events_chain() returns trigger language plpgsql as $$
    declare
      head audit_chain_heads%rowtype;
    begin
      new.chain := coalesce(new.chain, new.level);
      insert into audit_chain_heads (tenant_id, chain, last_seq, last_hash)
        values (new.tenant_id, new.chain, 0, ${GENESIS}) on conflict do nothing;
      select * into head from audit_chain_heads where tenant_id = new.tenant_id and chain = new.chain for update;
      new.seq := head.last_seq + 1;
      new.prev_hash := head.last_hash;
      new.row_hash := audit_event_hash(new.prev_hash, new.tenant_id, new.chain, new.seq, new.created_at, new.actor_user_id,
                                       new.type, new.subject_type, new.subject_id, new.details, new.request_id, new.ip);
      update audit_chain_heads set last_seq = new.seq, last_hash = new.row_hash where tenant_id = new.tenant_id and chain = new.chain;
      return new;
    end $$`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function audit_events_chain() returns trigger language plpgsql as $$
    declare
      head audit_chain_heads%rowtype;
    begin
      insert into audit_chain_heads (tenant_id, chain, last_seq, last_hash)
        values (new.tenant_id, new.level, 0, ${GENESIS}) on conflict do nothing;
      select * into head from audit_chain_heads where tenant_id = new.tenant_id and chain = new.level for update;
      new.seq := head.last_seq + 1;
      new.prev_hash := head.last_hash;
      new.row_hash := audit_event_hash(new.prev_hash, new.tenant_id, new.level, new.seq, new.created_at, new.actor_user_id,
                                       new.type, new.subject_type, new.subject_id, new.details, new.request_id, new.ip);
      update audit_chain_heads set last_seq = new.seq, last_hash = new.row_hash where tenant_id = new.tenant_id and chain = new.level;
      return new;
    end $$`);
  await knex.raw('drop index audit_events_chain_seq');
  await knex.raw('create unique index audit_events_chain_seq on audit_events (tenant_id, level, seq)');
  await knex.raw('alter table audit_events drop constraint audit_events_chain_kind');
  await knex.raw('alter table audit_events drop column chain');
}
