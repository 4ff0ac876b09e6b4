/** The database roles Kontor relies on. Migrations grant DML to the group role, never to a login role. */
export const OWNER_ROLE = 'kontor_owner';
export const API_GROUP_ROLE = 'kontor_api';
export const EMBEDDED_API_LOGIN = 'kontor_app';
export const DATABASE_NAME = 'kontor';
/** Deletes the old end of the audit and sign-in chains (and nothing else); the API role cannot. */
export const RETENTION_ROLE = 'kontor_retention';
