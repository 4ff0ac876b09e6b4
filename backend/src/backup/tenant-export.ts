import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackupRefused, hashFile, type FileEntry } from './manifest.js';
import * as store from './tenant-store.js';
import { TarWriter } from './ustar.js';

/**
 * One bank in one file: a tar of `COPY … TO STDOUT` streams (PostgreSQL's text format), read as
 * the owner role in one snapshot, with a manifest. Tenant tables are found in the catalog (every
 * table with a tenant_id column), so tables added later travel without a change here; platform
 * rows follow the bank: its tenant row, its users and every table keyed by them, its sign-in chains.
 */
export const EXPORT_FORMAT = 'kontor-tenant-export-1';

export interface ExportedTable {
  name: string;
  file: string;
  columns: string[];
  roleColumns: string[];
  rows: number;
  size: number;
  sha256: string;
}

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  migration: string;
  tenant: { id: string; name: string };
  /** Fingerprints of the keys the bank's second factors and keyed hashes depend on (never the keys). */
  keys: { totp: string; hmac: string };
  tables: ExportedTable[];
  files: FileEntry[];
}

/** A built-in role travels by its key (its id differs between installations), a custom one by id. */
export interface RoleRecord { id: string | null; key: string | null; name: string; builtin: boolean; assignable_in_tenants: boolean; rights: string[] }

export function keyFingerprint(purpose: string, key: string): string {
  return createHash('sha256').update(`kontor-key-fingerprint:${purpose}:${key}`).digest('hex').slice(0, 16);
}

export async function exportTenant(options: {
  ownerUrl: string; tenantId: string; file: string; now: Date; keys: { totpKey: string; hmacKey: string };
}): Promise<ExportManifest> {
  const { tenantId, file } = options;
  if (fs.existsSync(file)) throw new BackupRefused(`${file} exists; refusing to overwrite it.`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(tenantId)) throw new BackupRefused('ID must be a tenant id (a lower-case UUID).');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kontor-export-'));
  const client = await store.ownerSession(options.ownerUrl);
  try {
    await store.beginTenantSnapshot(client, tenantId, true);
    const tenant = await store.tenantRow(client, tenantId);
    if (!tenant) throw new BackupRefused(`There is no tenant ${tenantId}.`);
    if (tenant.is_vendor) throw new BackupRefused('The vendor tenant is the installation itself; back it up with `backup`.');
    const all = await store.catalog(client);
    const chosen = store.selection(all, tenantId);
    const tables: ExportedTable[] = [];
    const roleIds = new Set<string>();
    const foreignUsers = new Set<string>();
    const bankUsers = new Set(await store.bankUserIds(client, tenantId));
    for (const { table, where } of chosen) {
      const roleColumns = Object.entries(table.references).filter(([c, ref]) => ref === 'roles' && table.columns.includes(c)).map(([c]) => c);
      for (const c of roleColumns) for (const id of await store.foreignIds(client, table, where, c)) roleIds.add(id);
      for (const [c, ref] of Object.entries(table.references)) {
        if (ref !== 'users' || !table.columns.includes(c)) continue;
        for (const id of await store.foreignIds(client, table, where, c)) if (!bankUsers.has(id)) foreignUsers.add(id);
      }
      const query = store.exportQuery(table, where, roleColumns);
      const name = `data/${table.name}.copy`;
      const local = path.join(work, `${table.name}.copy`);
      await store.copyOut(client, query, local);
      const { size, sha256 } = await hashFile(local);
      tables.push({ name: table.name, file: name, columns: table.columns, roleColumns, rows: await store.countRows(client, query), size, sha256 });
    }
    const roles: RoleRecord[] = (await store.rolesById(client, [...roleIds])).map((r) => ({ ...r, id: r.key ? null : r.id }))
      .sort((a, b) => ((a.key ?? a.id!) < (b.key ?? b.id!) ? -1 : 1));
    const migration = await store.latestMigration(client);
    await store.commitSession(client);

    const extra: [string, string][] = [
      ['roles.json', `${JSON.stringify(roles, null, 1)}\n`],
      ['foreign-users.json', `${JSON.stringify([...foreignUsers].sort(), null, 1)}\n`],
    ];
    const files: FileEntry[] = [];
    for (const [name, content] of extra) {
      fs.writeFileSync(path.join(work, name), content, { mode: 0o600 });
      files.push({ path: name, ...(await hashFile(path.join(work, name))) });
    }
    for (const t of tables) files.push({ path: t.file, size: t.size, sha256: t.sha256 });
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      exportedAt: options.now.toISOString(),
      migration,
      tenant: { id: tenant.id, name: tenant.name },
      keys: { totp: keyFingerprint('totp', options.keys.totpKey), hmac: keyFingerprint('hmac', options.keys.hmacKey) },
      tables,
      files,
    };
    fs.writeFileSync(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o600 });
    const tar = new TarWriter(file);
    try {
      tar.addFile('manifest.json', path.join(work, 'manifest.json'));
      for (const [name] of extra) tar.addFile(name, path.join(work, name));
      for (const t of tables) tar.addFile(t.file, path.join(work, `${t.name}.copy`));
    } finally {
      tar.close();
    }
    return manifest;
  } catch (err) {
    await store.rollbackSession(client);
    throw err;
  } finally {
    await client.end();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
