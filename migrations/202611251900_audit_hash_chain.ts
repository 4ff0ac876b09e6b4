import type { Knex } from 'knex';

/**
 * Tamper-evident records (issue: second factor and audit trail). Every audit event and every
 * sign-in record joins a hash chain: it stores its position (seq), the previous row's hash and the
 * hash of its own content together with that previous hash. Chains are kept per tenant and level
 * for audit events (info events are deleted after 30 days, errors are kept: each chain only ever
 * loses its old end) and per tenant and outcome for sign-in records ("none/failure" for attempts
 * without a known tenant), so retention scoped to some tenants still cuts only old ends. Retention deletes a chain's old end and
 * writes an anchor (first remaining seq and the hash before it), so the rest still verifies.
 *
 * The API role may insert records but neither update nor delete them; deleting is the separate
 * kontor_retention role's job (created with the other roles by the bootstrap / init script).
 * The chain is built by BEFORE INSERT triggers (SECURITY INVOKER, as every function here).
 */
const TENANT_POLICY = "create policy tenant_isolation on ?? using (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) with check (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)";

const GENESIS = "'\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea";

export async function up(knex: Knex): Promise<void> {
  // --- the content hashes: one canonical JSON array per row, so no field can shift into another
  await knex.raw(`
    create function audit_event_hash(prev bytea, tenant uuid, chain text, seq bigint, at timestamptz, actor uuid, type text,
                                     subject_type text, subject_id text, details jsonb, request_id uuid, ip text)
    returns bytea language sql stable as $$
      select sha256(convert_to(jsonb_build_array(encode(prev, 'hex'), tenant, chain, seq,
        to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor, type, subject_type, subject_id, details, request_id, ip)::text, 'UTF8'))
    $$`);
  await knex.raw(`
    create function login_event_hash(prev bytea, chain text, seq bigint, at timestamptz, tenant uuid, user_id uuid,
                                     email_hash text, outcome text, reason text, ip text)
    returns bytea language sql stable as $$
      select sha256(convert_to(jsonb_build_array(encode(prev, 'hex'), chain, seq,
        to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), tenant, user_id, email_hash, outcome, reason, ip)::text, 'UTF8'))
    $$`);

  // --- audit events (tenant-owned) -----------------------------------------------------------------
  await knex.schema.createTable('audit_chain_heads', (t) => {
    t.uuid('tenant_id').notNullable();
    t.text('chain').notNullable();
    t.bigInteger('last_seq').notNullable();
    t.binary('last_hash').notNullable();
    t.primary(['tenant_id', 'chain']);
  });
  await knex.schema.createTable('audit_chain_anchors', (t) => {
    t.uuid('tenant_id').notNullable();
    t.text('chain').notNullable();
    t.bigInteger('first_seq').notNullable();
    t.binary('prev_hash').notNullable();
    t.timestamp('moved_at', { useTz: true }).notNullable();
    t.primary(['tenant_id', 'chain']);
  });
  for (const table of ['audit_chain_heads', 'audit_chain_anchors']) {
    await knex.raw('alter table ?? enable row level security', [table]);
    await knex.raw('alter table ?? force row level security', [table]);
    await knex.raw(TENANT_POLICY, [table]);
  }
  await knex.raw('grant select, insert, update on audit_chain_heads to kontor_api');
  await knex.raw('grant select on audit_chain_anchors to kontor_api');
  await knex.raw('grant select on audit_chain_heads to kontor_retention');
  await knex.raw('grant select, insert, update on audit_chain_anchors to kontor_retention');

  await knex.schema.alterTable('audit_events', (t) => {
    t.bigInteger('seq');
    t.binary('prev_hash');
    t.binary('row_hash');
  });
  await knex.raw(`
    create function audit_events_chain() returns trigger language plpgsql as $$
    declare
      head audit_chain_heads%rowtype;
    begin
      insert into audit_chain_heads (tenant_id, chain, last_seq, last_hash)
        values (new.tenant_id, new.level, 0, ${GENESIS}) on conflict do nothing;
      -- The row lock orders concurrent inserts of one chain; other chains never wait.
      select * into head from audit_chain_heads where tenant_id = new.tenant_id and chain = new.level for update;
      new.seq := head.last_seq + 1;
      new.prev_hash := head.last_hash;
      new.row_hash := audit_event_hash(new.prev_hash, new.tenant_id, new.level, new.seq, new.created_at, new.actor_user_id,
                                       new.type, new.subject_type, new.subject_id, new.details, new.request_id, new.ip);
      update audit_chain_heads set last_seq = new.seq, last_hash = new.row_hash where tenant_id = new.tenant_id and chain = new.level;
      return new;
    end $$`);

  // Existing rows join their chains in insertion order (the owner must see every tenant for that).
  await knex.raw('alter table audit_events no force row level security');
  await knex.raw('alter table audit_chain_heads no force row level security');
  await knex.raw(`
    do $$
    declare r record; h audit_chain_heads%rowtype; s bigint; p bytea;
    begin
      for r in select * from audit_events order by tenant_id, level, id loop
        insert into audit_chain_heads values (r.tenant_id, r.level, 0, ${GENESIS}) on conflict do nothing;
        select * into h from audit_chain_heads where tenant_id = r.tenant_id and chain = r.level;
        s := h.last_seq + 1;
        p := audit_event_hash(h.last_hash, r.tenant_id, r.level, s, r.created_at, r.actor_user_id, r.type, r.subject_type, r.subject_id, r.details, r.request_id, r.ip);
        update audit_events set seq = s, prev_hash = h.last_hash, row_hash = p where tenant_id = r.tenant_id and id = r.id;
        update audit_chain_heads set last_seq = s, last_hash = p where tenant_id = r.tenant_id and chain = r.level;
      end loop;
    end $$`);
  await knex.raw('alter table audit_events force row level security');
  await knex.raw('alter table audit_chain_heads force row level security');
  await knex.raw('alter table audit_events alter column seq set not null, alter column prev_hash set not null, alter column row_hash set not null');
  await knex.raw('create unique index audit_events_chain_seq on audit_events (tenant_id, level, seq)');
  await knex.raw('create trigger audit_events_chain before insert on audit_events for each row execute function audit_events_chain()');
  await knex.raw('revoke update, delete on audit_events from kontor_api');
  await knex.raw('grant select, delete on audit_events to kontor_retention');

  // --- sign-in records (platform table: a failed sign-in may have no tenant) -------------------------
  await knex.schema.createTable('login_chain_heads', (t) => {
    t.text('chain').primary();
    t.bigInteger('last_seq').notNullable();
    t.binary('last_hash').notNullable();
  });
  await knex.schema.createTable('login_chain_anchors', (t) => {
    t.text('chain').primary();
    t.bigInteger('first_seq').notNullable();
    t.binary('prev_hash').notNullable();
    t.timestamp('moved_at', { useTz: true }).notNullable();
  });
  await knex.raw('grant select, insert, update on login_chain_heads to kontor_api');
  await knex.raw('grant select on login_chain_anchors to kontor_api');
  await knex.raw('grant select on login_chain_heads to kontor_retention');
  await knex.raw('grant select, insert, update on login_chain_anchors to kontor_retention');
  await knex.schema.alterTable('login_events', (t) => {
    t.text('chain');
    t.bigInteger('seq');
    t.binary('prev_hash');
    t.binary('row_hash');
  });
  await knex.raw(`
    create function login_events_chain() returns trigger language plpgsql as $$
    declare
      head login_chain_heads%rowtype;
    begin
      new.chain := coalesce(new.tenant_id::text, 'none') || '/' || new.outcome;
      insert into login_chain_heads (chain, last_seq, last_hash) values (new.chain, 0, ${GENESIS}) on conflict do nothing;
      select * into head from login_chain_heads where chain = new.chain for update;
      new.seq := head.last_seq + 1;
      new.prev_hash := head.last_hash;
      new.row_hash := login_event_hash(new.prev_hash, new.chain, new.seq, new.created_at, new.tenant_id, new.user_id,
                                       new.email_hash, new.outcome, new.reason, new.ip);
      update login_chain_heads set last_seq = new.seq, last_hash = new.row_hash where chain = new.chain;
      return new;
    end $$`);
  await knex.raw(`
    do $$
    declare r record; h login_chain_heads%rowtype; s bigint; p bytea; c text;
    begin
      for r in select * from login_events order by id loop
        c := coalesce(r.tenant_id::text, 'none') || '/' || r.outcome;
        insert into login_chain_heads values (c, 0, ${GENESIS}) on conflict do nothing;
        select * into h from login_chain_heads where chain = c;
        s := h.last_seq + 1;
        p := login_event_hash(h.last_hash, c, s, r.created_at, r.tenant_id, r.user_id, r.email_hash, r.outcome, r.reason, r.ip);
        update login_events set chain = c, seq = s, prev_hash = h.last_hash, row_hash = p where id = r.id;
        update login_chain_heads set last_seq = s, last_hash = p where chain = c;
      end loop;
    end $$`);
  await knex.raw('alter table login_events alter column chain set not null, alter column seq set not null, alter column prev_hash set not null, alter column row_hash set not null');
  await knex.raw('create unique index login_events_chain_seq on login_events (chain, seq)');
  await knex.raw('create trigger login_events_chain before insert on login_events for each row execute function login_events_chain()');
  await knex.raw('revoke update, delete on login_events from kontor_api');
  await knex.raw('grant select, delete on login_events to kontor_retention');
  // Retention walks the tenants; it reads nothing else.
  await knex.raw('grant select on tenants to kontor_retention');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists login_events_chain on login_events');
  await knex.raw('drop trigger if exists audit_events_chain on audit_events');
  await knex.raw('drop function if exists login_events_chain(), audit_events_chain()');
  await knex.raw('drop index if exists login_events_chain_seq');
  await knex.raw('drop index if exists audit_events_chain_seq');
  for (const table of ['login_events', 'audit_events']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('seq');
      if (table === 'login_events') t.dropColumn('chain');
      t.dropColumn('prev_hash');
      t.dropColumn('row_hash');
    });
  }
  for (const table of ['login_chain_anchors', 'login_chain_heads', 'audit_chain_anchors', 'audit_chain_heads']) await knex.schema.dropTableIfExists(table);
  await knex.raw('drop function if exists login_event_hash(bytea, text, bigint, timestamptz, uuid, uuid, text, text, text, text)');
  await knex.raw('drop function if exists audit_event_hash(bytea, uuid, text, bigint, timestamptz, uuid, text, text, text, jsonb, uuid, text)');
  await knex.raw('grant delete on audit_events to kontor_api');
  await knex.raw('grant delete on login_events to kontor_api');
}
