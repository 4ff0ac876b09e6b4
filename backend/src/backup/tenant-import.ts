import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SecondFactor } from '../auth/second-factor.js';
import { BackupRefused } from './manifest.js';
import { EXPORT_FORMAT, keyFingerprint, type ExportManifest, type RoleRecord } from './tenant-export.js';
import * as store from './tenant-store.js';
import { readEntry, readTarIndex, type TarEntry } from './ustar.js';

const name = z.string().regex(/^[a-z_][a-z0-9_]*$/);
const manifestSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  exportedAt: z.string(),
  migration: z.string(),
  tenant: z.object({ id: z.string().uuid(), name: z.string().min(1).max(500) }),
  keys: z.object({ totp: z.string(), hmac: z.string() }),
  tables: z.array(z.object({
    name, file: z.string(), columns: z.array(name).min(1), roleColumns: z.array(name), rows: z.number().int().min(0), size: z.number().int().min(0), sha256: z.string(),
  })).max(500),
  files: z.array(z.object({ path: z.string(), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).max(1000),
});
const rolesSchema = z.array(z.object({
  id: z.string().uuid().nullable(), key: z.string().nullable(), name: z.string().min(1).max(200), builtin: z.boolean(), assignable_in_tenants: z.boolean(),
  rights: z.array(z.string().regex(/^[a-z.]+:(read|write)$/)),
})).max(10_000);
const foreignSchema = z.array(z.string().uuid()).max(100_000);

/** Keyed with the source's sign-in hash key: useless under another key, so they stay behind (users make new ones). */
const KEYED_TABLES = new Set(['user_recovery_codes', 'recovery_codes']);

export interface ImportReport {
  tenantId: string;
  tenantName: string;
  rows: Record<string, number>;
  reencryptedFactors: number;
  droppedKeyed: string[];
  staffStubs: number;
}

async function readSmall(file: string, entry: TarEntry | undefined, what: string): Promise<unknown> {
  if (!entry) throw new BackupRefused(`The export has no ${what}.`);
  if (entry.size > 64 * 1024 * 1024) throw new BackupRefused(`${what} is too large.`);
  const chunks: Buffer[] = [];
  for await (const c of readEntry(file, entry)) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BackupRefused(`${what} is not valid JSON.`);
  }
}

async function entryHash(file: string, entry: TarEntry): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of readEntry(file, entry)) hash.update(c as Buffer);
  return hash.digest('hex');
}

/** Checks the export against its manifest (every entry's size and SHA-256, nothing else in it). */
export async function verifyExport(file: string): Promise<{ manifest: ExportManifest; entries: Map<string, TarEntry> }> {
  let index: TarEntry[];
  try {
    index = readTarIndex(file);
  } catch (err) {
    throw new BackupRefused((err as Error).message);
  }
  const entries = new Map(index.map((e) => [e.name, e]));
  const parsed = manifestSchema.safeParse(await readSmall(file, entries.get('manifest.json'), 'manifest.json'));
  if (!parsed.success) throw new BackupRefused(`manifest.json is not a Kontor tenant export manifest (${parsed.error.issues[0]?.path.join('.')}).`);
  const manifest = parsed.data;
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const e of index) if (e.name !== 'manifest.json' && !listed.has(e.name)) throw new BackupRefused(`${e.name} is not in the manifest: the export was changed.`);
  for (const f of manifest.files) {
    const e = entries.get(f.path);
    if (!e) throw new BackupRefused(`${f.path} is missing from the export.`);
    if (e.size !== f.size || (await entryHash(file, e)) !== f.sha256) throw new BackupRefused(`${f.path} does not match the manifest: the export is damaged; nothing was imported.`);
  }
  for (const t of manifest.tables) if (!listed.has(t.file)) throw new BackupRefused(`${t.file} is not in the manifest.`);
  return { manifest, entries };
}

/**
 * Loads an export into this installation as a new bank, in one transaction as the owner role:
 * refused when its tenant id or name, or any of its users' ids or e-mail addresses, exist here.
 * Rows keep their ids and hashes, so the audit and sign-in chains verify as they did (anchors and
 * heads travel with them). TOTP seeds are re-encrypted with this installation's key.
 */
export async function importTenant(options: {
  ownerUrl: string; file: string; now: Date;
  keys: { totpKey: string; hmacKey: string };
  /** The source installation's secrets (its totpKey decrypts the seeds), unless the export came from here. */
  sourceKeys: { totpKey: string; hmacKey: string } | undefined;
}): Promise<ImportReport> {
  const { file } = options;
  const { manifest, entries } = await verifyExport(file);
  const roles = rolesSchema.parse(await readSmall(file, entries.get('roles.json'), 'roles.json')) as RoleRecord[];
  const foreignUsers = foreignSchema.parse(await readSmall(file, entries.get('foreign-users.json'), 'foreign-users.json'));
  const tenantId = manifest.tenant.id;

  const sameTotp = manifest.keys.totp === keyFingerprint('totp', options.keys.totpKey);
  const sameHmac = manifest.keys.hmac === keyFingerprint('hmac', options.keys.hmacKey);
  if (options.sourceKeys && manifest.keys.totp !== keyFingerprint('totp', options.sourceKeys.totpKey)) {
    throw new BackupRefused('The source secrets given are not those of the installation the export came from (the TOTP key differs).');
  }
  const client = await store.ownerSession(options.ownerUrl);
  try {
    await store.beginTenantSnapshot(client, tenantId, false);
    const all = await store.catalog(client);
    const here = new Map(all.map((t) => [t.name, t]));
    for (const t of manifest.tables) {
      const target = here.get(t.name);
      const missing = target ? t.columns.filter((c) => !target.columns.includes(c)) : [];
      if (!target || missing.length) {
        throw new BackupRefused(`This installation has no ${target ? `column ${missing[0]} in ` : 'table '}${t.name}: migrate it to ${manifest.migration} or later first.`);
      }
    }
    const conflict = await store.tenantConflict(client, tenantId, manifest.tenant.name);
    if (conflict) throw new BackupRefused(`A tenant with this ${conflict === 'id' ? `id (${tenantId})` : `name (${manifest.tenant.name})`} exists here already; nothing was imported.`);
    const vendor = await store.vendorTenantId(client);
    if (!vendor) throw new BackupRefused('This installation has no vendor tenant yet: start it once before importing a bank.');

    const usersTable = manifest.tables.find((t) => t.name === 'users');
    if (!usersTable) throw new BackupRefused('The export has no users table.');
    const bankUsers = await readColumns(file, entries.get(usersTable.file)!, usersTable.columns, ['id', 'email']);
    const taken = await store.existingUsers(client, bankUsers.map((u) => u.id!), bankUsers.map((u) => u.email!));
    if (taken.length) throw new BackupRefused(`${taken.length} of the bank's users exist here already (e.g. ${taken[0]!.email}); nothing was imported.`);
    const bankUserIds = new Set(bankUsers.map((u) => u.id!));

    let staffStubs = 0;
    const present = new Set((await store.existingUsers(client, foreignUsers, [])).map((u) => u.id));
    for (const id of foreignUsers) {
      if (bankUserIds.has(id) || present.has(id)) continue;
      await store.insertStubUser(client, id, vendor, options.now);
      staffStubs++;
    }

    const roleMap = new Map<string, string>();
    for (const role of roles) {
      if (role.key) {
        const id = await store.roleIdByKey(client, role.key);
        if (!id) throw new BackupRefused(`This installation has no built-in role "${role.key}".`);
        roleMap.set(`key:${role.key}`, id);
      } else if (role.id) {
        if (!(await store.roleById(client, role.id))) {
          if (await store.roleNameTaken(client, role.name)) throw new BackupRefused(`A different role named "${role.name}" exists here; rename one of them first.`);
          await store.insertRole(client, { ...role, id: role.id });
        }
        roleMap.set(role.id, role.id);
      }
    }
    await store.createRoleMap(client, roleMap);

    const rows: Record<string, number> = {};
    const droppedKeyed: string[] = [];
    const order = store.selection([...manifest.tables].map((t) => here.get(t.name)!), tenantId).map((s) => s.table.name);
    if (order.length !== manifest.tables.length) throw new BackupRefused('The export holds tables this installation does not move with a bank; it comes from another Kontor version.');
    for (const tableName of order) {
      const t = manifest.tables.find((x) => x.name === tableName)!;
      if (KEYED_TABLES.has(t.name) && !sameHmac) {
        if (t.rows > 0) droppedKeyed.push(t.name);
        continue;
      }
      await store.copyIn(client, here.get(t.name)!, t.columns, t.roleColumns, readEntry(file, entries.get(t.file)!));
      for (const col of here.get(t.name)!.sequenced) if (t.columns.includes(col)) await store.advanceSequence(client, here.get(t.name)!, col);
      rows[t.name] = t.rows;
      if (t.name === 'departments') await store.seeAllDepartments(client, tenantId);
    }

    let reencryptedFactors = 0;
    if (!sameTotp) {
      const factors = await store.factorsOf(client, [...bankUserIds]);
      if (factors.length && !options.sourceKeys) {
        throw new BackupRefused(`The export comes from another installation and ${factors.length} user(s) have a second factor: give that installation's secrets.json with --source-secrets so their seeds can be re-encrypted; nothing was imported.`);
      }
      if (factors.length) {
        const from = new SecondFactor({ totpKey: options.sourceKeys!.totpKey, hmacKey: options.sourceKeys!.hmacKey });
        const to = new SecondFactor({ totpKey: options.keys.totpKey, hmacKey: options.keys.hmacKey });
        for (const f of factors) {
          await store.updateFactor(client, f.user_id, to.encrypt(from.decrypt(f.secret_enc)));
          reencryptedFactors++;
        }
      }
    }
    await store.commitSession(client);
    return { tenantId, tenantName: manifest.tenant.name, rows, reencryptedFactors, droppedKeyed, staffStubs };
  } catch (err) {
    await store.rollbackSession(client);
    throw err;
  } finally {
    await client.end();
  }
}

/** A few columns of a COPY text stream (tab-separated, \N for NULL, backslash escapes). */
async function readColumns(file: string, entry: TarEntry, columns: string[], wanted: string[]): Promise<Record<string, string | null>[]> {
  const idx = wanted.map((w) => columns.indexOf(w));
  let text = '';
  for await (const c of readEntry(file, entry)) text += (c as Buffer).toString('utf8');
  return text.split('\n').filter(Boolean).map((line) => {
    const fields = line.split('\t');
    return Object.fromEntries(wanted.map((w, i) => {
      const raw = fields[idx[i]!];
      return [w, raw === undefined || raw === '\\N' ? null : raw.replace(/\\(.)/g, (_, ch: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' } as Record<string, string>)[ch] ?? ch)];
    }));
  });
}
