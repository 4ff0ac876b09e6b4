import AdminUsersRoute from 'frontend/routes/app/admin/users';

/** Same rights and the same model (the assignable roles) as the users page. */
export default class AdminRolesRoute extends AdminUsersRoute {}
