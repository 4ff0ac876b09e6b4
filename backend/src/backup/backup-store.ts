import pg from 'pg';

/**
 * The base-backup protocol of PostgreSQL (non-exclusive, PostgreSQL 15 and later): pg_backup_start
 * and pg_backup_stop run in one session that stays open while the data directory is copied.
 * A temporary replication slot, created first in the same session, keeps every WAL segment from
 * the backup's start until the session ends, so no checkpoint recycles one before it is copied.
 */
export class BackupSession {
  private constructor(private readonly client: pg.Client) {}

  static async open(superUrl: string): Promise<BackupSession> {
    const client = new pg.Client({ connectionString: superUrl, application_name: 'kontor-backup' });
    await client.connect();
    // A notice about WAL archiving being off is expected: the WAL is copied by the backup itself.
    client.on('notice', () => undefined);
    return new BackupSession(client);
  }

  async settings(): Promise<{ walLevel: string; dataDirectory: string; serverVersion: string; tablespaces: number }> {
    const { rows } = await this.client.query<{ wal_level: string; data_directory: string; server_version: string; tablespaces: string }>(
      `select current_setting('wal_level') as wal_level, current_setting('data_directory') as data_directory,
              current_setting('server_version') as server_version,
              (select count(*) from pg_tablespace where spcname not in ('pg_default', 'pg_global'))::text as tablespaces`,
    );
    const row = rows[0]!;
    return { walLevel: row.wal_level, dataDirectory: row.data_directory, serverVersion: row.server_version, tablespaces: Number(row.tablespaces) };
  }

  async reserveWal(slot: string): Promise<void> {
    await this.client.query('select pg_create_physical_replication_slot($1, true, true)', [slot]);
  }

  /** Starts the backup with an immediate checkpoint; returns the WAL position replay starts from and its segment file. */
  async start(label: string): Promise<{ lsn: string; walFile: string }> {
    const { rows } = await this.client.query<{ lsn: string; wal_file: string }>(
      'select lsn::text as lsn, pg_walfile_name(lsn) as wal_file from pg_backup_start($1, true) as lsn',
      [label],
    );
    return { lsn: rows[0]!.lsn, walFile: rows[0]!.wal_file };
  }

  /**
   * Ends the backup: returns the backup_label and tablespace_map to write into the copy, the stop
   * position and its segment file, after switching WAL so that segment is complete on disk.
   */
  async stop(): Promise<{ lsn: string; walFile: string; labelFile: string; tablespaceMap: string }> {
    const { rows } = await this.client.query<{ lsn: string; wal_file: string; labelfile: string; spcmapfile: string }>(
      'select lsn::text as lsn, pg_walfile_name(lsn) as wal_file, labelfile, spcmapfile from pg_backup_stop(false)',
    );
    await this.client.query('select pg_switch_wal()');
    const row = rows[0]!;
    return { lsn: row.lsn, walFile: row.wal_file, labelFile: row.labelfile, tablespaceMap: row.spcmapfile };
  }

  /** Ending the session also drops the temporary slot and aborts a backup that was not stopped. */
  async close(): Promise<void> {
    await this.client.end();
  }
}

/** A freshly restored cluster: out of recovery, and what it holds. */
export async function describeRestored(superUrl: string): Promise<{ inRecovery: boolean; databases: string[] }> {
  const client = new pg.Client({ connectionString: superUrl });
  await client.connect();
  try {
    const rec = await client.query<{ r: boolean }>('select pg_is_in_recovery() as r');
    const dbs = await client.query<{ datname: string }>('select datname from pg_database where not datistemplate order by datname');
    return { inRecovery: rec.rows[0]!.r, databases: dbs.rows.map((r) => r.datname) };
  } finally {
    await client.end();
  }
}
