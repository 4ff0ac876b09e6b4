import type { Knex } from 'knex';

/**
 * Data: the built-in roles of DESIGN §2. A frozen copy of the catalogue at the time of writing,
 * so later changes to the code's catalogue never rewrite history.
 */
const BUILTIN: { key: string; name: string; assignable: boolean; rights: [string, 'read' | 'write'][] }[] = [
  {
    key: 'tenant_admin', name: 'Tenant admin', assignable: true,
    rights: [['users', 'read'], ['users', 'write'], ['audit', 'read'], ['settings', 'read'], ['settings', 'write']],
  },
  {
    key: 'analyst', name: 'Analyst', assignable: true,
    rights: ['containers', 'segmentation', 'leasing', 'export'].flatMap((a) => [[a, 'read'], [a, 'write']] as [string, 'read' | 'write'][]),
  },
  {
    key: 'reader', name: 'Reader', assignable: true,
    rights: [['containers', 'read'], ['segmentation', 'read'], ['leasing', 'read']],
  },
  {
    key: 'superadmin', name: 'Superadmin', assignable: false,
    rights: ['platform.tenants', 'platform.roles', 'platform.users', 'users', 'audit', 'settings'].flatMap(
      (a) => [[a, 'read'], [a, 'write']] as [string, 'read' | 'write'][],
    ),
  },
  {
    key: 'administration', name: 'Administration', assignable: false,
    rights: [['platform.tenants', 'read'], ['platform.tenants', 'write'], ['platform.users', 'read'], ['platform.users', 'write'], ['platform.roles', 'read'], ['audit', 'read']],
  },
  {
    key: 'support', name: 'Support', assignable: false,
    rights: [['platform.tenants', 'read'], ['containers', 'read'], ['segmentation', 'read'], ['leasing', 'read'], ['audit', 'read']],
  },
];

export async function up(knex: Knex): Promise<void> {
  for (const role of BUILTIN) {
    const [row] = await knex('roles')
      .insert({ key: role.key, name: role.name, builtin: true, assignable_in_tenants: role.assignable })
      .returning('id');
    const roleId = (row as { id: string }).id;
    await knex('role_rights').insert(role.rights.map(([area, access]) => ({ role_id: roleId, area, access })));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex('roles').whereIn('key', BUILTIN.map((r) => r.key)).delete();
}
