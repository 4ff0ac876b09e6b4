// The texts the first page needs (sign-in, frame, 404, errors); every other text loads with the
// signed-in area (LocaleService.loadAll). Named imports let the bundler leave the rest out.
export { app, common, errors, health, idle, login, nav, notFound } from '../../translations/en-us.json';
