/**
 * Every error code the API answers with, once: its HTTP status, its English message and the
 * parameters the message is made of. A throw site names a code and hands over the parameters;
 * TypeScript refuses a call that forgets one (or names a reason the code does not have).
 *
 *   throw fail('container_locked', { reason: 'delete' });
 *   throw fail('payload_too_large', { reason: 'file', limit: maxBytes });
 *   throw fail('invalid_input', { reason: 'unknown_role', field: 'roleIds' });
 *
 * ADDING A CODE is one line in `CATALOGUE` below:
 *
 *   my_code: e(409, 'English sentence; {placeholders} become required parameters.'),
 *
 * or, when one code has several causes the client should tell apart (sent as `reason`):
 *
 *   my_code: r(409, { first_cause: 'Sentence one.', other_cause: 'Sentence about {thing}.' }),
 *
 * then `throw fail('my_code', …)` where it happens, and give it a German and an English text in
 * `frontend/translations/{de-de,en-us}.json` under `errors.my_code` (a reason under
 * `errors.my_code.<reason>`), using the same `{placeholders}`. The catalogue test fails until both
 * texts exist with every parameter. Never give an existing code a second meaning: add a code.
 *
 * The JSON body is `{ error: { code, message, field?, reason?, params? } }`: `message` is the
 * English text for API clients, `params` are the placeholder values, so the SPA can say the same in
 * the user's language. `detail` (English only, e.g. a schema library's explanation) is appended to
 * `message` and never translated.
 *
 * Import reports (`IMPORT_ERRORS`, entries made by `importError`, translated under `importErrors.`)
 * and failed calculations (`CALCULATION_ERRORS`, under `calculationErrors.`) follow the same rules.
 */
import type { core } from 'zod';
import { HttpError } from './errors.js';

/** One sentence, or one per reason; a reason may answer with its own status. */
type ReasonText = string | { readonly status: number; readonly message: string };
interface Single { readonly status: number; readonly message: string; readonly headers?: Readonly<Record<string, string>> }
interface WithReasons { readonly status: number; readonly reasons: Readonly<Record<string, ReasonText>>; readonly headers?: Readonly<Record<string, string>> }
type Entry = Single | WithReasons;

/** A code with one message. */
function e<const M extends string>(status: number, message: M, headers?: Record<string, string>): { status: number; message: M; headers?: Record<string, string> } {
  return headers ? { status, message, headers } : { status, message };
}
/** A code whose causes the client tells apart by `reason`. */
function r<const R extends Record<string, ReasonText>>(status: number, reasons: R): { status: number; reasons: R } {
  return { status, reasons };
}

/** The reasons a session ends (the session-end contract): the login page says which. */
export const SESSION_END_TEXTS = {
  idle: 'You were signed out after a period of inactivity. Please sign in again.',
  absolute: 'Your session reached its maximum length. Please sign in again.',
  ended_by_admin: 'An administrator ended your session. Please sign in again.',
  signed_out: 'You have signed out.',
  password_changed: 'Your password was changed, so your sessions were ended. Please sign in again.',
  rights_changed: 'Your rights were changed, so your session was ended. Please sign in again.',
  account_disabled: 'Your account has been disabled.',
  access_ended: 'Your access to this bank has ended.',
  directory_logout: "You signed out at your bank's directory, so your Kontor session was ended too.",
  unknown: 'Your session has ended. Please sign in again.',
} as const;
export type SessionEndReason = keyof typeof SESSION_END_TEXTS;

export const CATALOGUE = {
  // 400: the request cannot be taken as it is. `field` names what to correct.
  invalid_input: r(400, {
    // From the schemas (zod's issue codes; `detail` carries zod's English explanation).
    invalid_type: '{field}: is missing or of the wrong type.',
    invalid_value: '{field}: is not one of the allowed values.',
    invalid_format: '{field}: does not have the expected format.',
    invalid_union: '{field}: does not have the expected form.',
    invalid_key: '{field}: holds a key that is not allowed.',
    invalid_element: '{field}: holds an element that is not allowed.',
    too_big: '{field}: is too long or too large (at most {maximum}).',
    too_small: '{field}: is too short or too small (at least {minimum}).',
    not_multiple_of: '{field}: is not a multiple of {divisor}.',
    unrecognized_keys: '{field}: holds fields that are not known ({keys}).',
    custom: '{field}: is not valid.',
    // Named refinements of the schemas (`params: { reason }` on a zod refine).
    duplicate_module: '{field}: lists a module twice.',
    empty_patch: '{field}: needs at least one of the fields to change.',
    code_or_recovery_code: '{field}: send either code or recoveryCode.',
    csv_unsafe_text: '{field}: must not contain ; " or line breaks.',
    formula_start: '{field}: must not start with = + - or @.',
    reserved_name: '{field}: is reserved for groups that no segment matches.',
    duplicate_product_group: '{field}: names a product group twice.',
    duplicate_segment: '{field}: names a segment twice.',
    not_greater: '{field}: must be greater than {other}.',
    too_many_decimals: '{field}: has more than 6 decimal places.',
    not_increasing: '{field}: must be strictly increasing.',
    class_order: '{field}: must satisfy A > B > C.',
    score_over_100: '{field}: the largest possible score must not exceed 100.',
    // The services' own checks.
    malformed: 'The request is malformed.',
    url_encoding: '{field}: is not valid URL encoding.',
    unknown_kind: '{field}: must be one of {kinds}.',
    unknown_role: '{field}: contains an unknown role.',
    no_roles: '{field}: a grant needs at least one role.',
    unknown_right: '{field}: "{right}" is not a right Kontor knows.',
    vendor_only_right: '{field}: a role assignable in banks cannot carry a vendor-only right.',
    params_not_allowed: '{field}: a segmentation takes a template, not parameters.',
    template_required: '{field}: choose a segmentation template.',
    unknown_template: '{field}: there is no such template.',
    template_not_allowed: '{field}: the leasing calculation takes parameters, not a template.',
    not_after: '{field}: must be after {other}.',
    emergency_max: '{field}: emergency access lasts at most {limit} minutes.',
    https_required: '{field}: must be an https:// URL.',
    required: '{field}: is required.',
    not_your_department: '{field}: is not one of your departments.',
    department_required: '{field}: is required, as you belong to more than one department.',
    unknown_department: '{field}: holds a department that does not exist in your bank.',
    department_fixed: '{field}: a template cannot change its department; copy it instead.',
  }),
  invalid_json: e(400, 'The request body is not valid JSON.'),
  invalid_id: e(400, '{field}: must be an id.'),
  invalid_text: e(400, '{field}: must be text without NUL characters or broken Unicode.'),
  already_in_tenant: e(400, 'You are in this tenant already.'),
  weak_password: r(400, {
    too_short: 'The password must have at least {min} characters.',
    too_long: 'The password may have at most {max} characters.',
    common: 'This password is on the list of commonly used passwords. Choose another one.',
    contains_email: 'The password must not contain your email name.',
    contains_tenant_name: "The password must not contain your bank's name.",
    needs_digit: 'The password needs at least one digit.',
    needs_lowercase: 'The password needs at least one lower-case letter.',
    needs_uppercase: 'The password needs at least one upper-case letter.',
    not_new: 'The new password must differ from the current one.',
  }),
  invalid_current_password: e(400, 'The current password is not correct.'),
  invalid_token: e(400, 'This link is not valid any more. Ask your administrator for a new one.'),
  invalid_code: r(400, {
    recovery: 'The code is wrong or no longer valid. Request a new code if needed.',
    enrolment: 'The code does not match. Check the time on your phone and enter the current code.',
    sign_in: { status: 401, message: 'The code is not correct. Enter the current code from your app, or a recovery code.' },
  }),
  invalid_request: e(400, 'The request cannot be served.'),
  approval_reason_required: e(400, "{field}: this change needs a second administrator's approval; say why you propose it."),
  domain_taken: e(400, "{field}: {domain} is served by another bank's directory."),

  // 401: who is asking is not (or no longer) known.
  unauthenticated: e(401, 'Please sign in.'),
  session_expired: r(401, SESSION_END_TEXTS),
  invalid_credentials: e(401, 'The email address or password is not correct, or the account is locked.'),
  challenge_expired: e(401, 'Please sign in again with your password.'),

  // 403: known, but not allowed.
  forbidden: e(403, 'You do not have the right to do this.'),
  no_department: e(403, 'You belong to no department; ask your administrator to add you to one.'),
  cross_origin: e(403, 'This request did not come from the Kontor application.'),
  password_change_required: e(403, 'Please change your password before you continue.'),
  mfa_enrolment_required: e(403, 'Set up your second factor (authenticator app) before you continue.'),
  mfa_required: r(403, {
    sign_in: 'Sign in again with your second factor to continue.',
    switch_tenant: 'Switching banks needs a sign-in with your second factor. Set it up under "Security", then sign in again.',
  }),
  passkey_enrolment_required: e(403, 'Your bank requires a passkey for this account. Register a passkey under "Security" before you continue.'),
  passkey_required: r(403, {
    sign_in: 'This account must sign in with its passkey: your bank requires a phishing-resistant sign-in. Use your passkey as the second step.',
  }),
  directory_sign_in_required: e(403, "Your bank requires sign-in through its directory. Use the button \"Sign in with your bank's account\"."),
  module_not_licensed: e(403, 'Your bank has no valid licence for this module.'),
  role_escalation: e(403, 'You cannot hand out the role "{role}": it carries rights you do not hold yourself ({rights}).'),
  role_not_assignable: r(403, {
    bank: 'The role "{role}" cannot be assigned in a bank\'s tenant.',
    directory_groups: { status: 400, message: '{field}: a role is unknown, not assignable in banks, or carries vendor rights.' },
  }),
  vendor_tenant: e(403, 'The vendor tenant cannot be deactivated.'),
  self_change_forbidden: r(403, {
    own_account: 'Nobody can change their own account or rights; ask another administrator.',
    own_role: 'Nobody can change the rights of a role they hold themselves.',
    own_recertification: 'Nobody recertifies their own access; another administrator decides on yours.',
    own_approval: 'This change concerns your own account; another administrator has to approve it.',
  }),
  own_account: e(403, 'You cannot reset your own second factor.'),
  vendor_staff: e(403, 'Vendor staff are managed by the vendor.'),
  no_grant: e(403, 'You have no access to this tenant.'),
  access_not_approved: e(403, 'This bank has not approved your access for now. File an access request and wait for its approval.'),
  own_request: e(403, 'A request cannot be approved by the person who filed it.'),
  visitor_cannot_decide: e(403, "Only the bank's own administrators decide on vendor access."),
  emergency_needs_vendor: e(403, "An emergency request is approved by a second member of the vendor's staff; you can deny it or end it."),
  access_request_open: e(409, 'You have an open request or access for this bank already.'),
  access_request_closed: e(409, 'This request has been decided already, has lapsed or its access is over.'),
  approval_own_change: e(403, 'You proposed this change; a second administrator has to approve it.'),
  proposer_lost_right: e(403, 'The proposer no longer holds the right this change needs.'),

  // 404: of each kind, so the client can say what is missing.
  passkey_rejected: r(400, {
    registration: 'The passkey could not be verified.',
    sign_in: { status: 401, message: 'This passkey could not be verified. Try again or sign in with your password.' },
  }),
  passkey_challenge_expired: r(400, {
    registration: 'The passkey set-up expired. Please start again.',
    sign_in: { status: 401, message: 'The passkey sign-in expired. Please try again.' },
  }),
  passkey_limit: e(409, 'At most {limit} passkeys per person; remove one first.'),
  passkey_exists: e(409, 'This passkey is registered already.'),
  not_found: r(404, {
    route: 'There is no such API route.',
    container: 'There is no such data container.',
    import: 'There is no such import.',
    tenant: 'There is no such tenant.',
    passkey: 'There is no such passkey.',
    access_request: 'There is no such access request.',
    emergency_request: 'There is no such emergency request.',
    bank_tenant: 'There is no such bank tenant.',
    vendor_user: 'There is no such vendor user.',
    user: 'There is no such user in your bank.',
    department: 'There is no such department.',
    account: 'There is no such account.',
    grant: 'There is no such grant.',
    role: 'There is no such role.',
    template: 'There is no such segmentation template.',
    calculation: 'There is no such calculation.',
    session: 'There is no such session.',
    recertification: 'There is no such recertification campaign.',
    campaign_user: 'This user is not part of the campaign.',
    approval: 'There is no such pending change.',
    directory: 'No directory is configured.',
    directory_sign_in: 'This bank has no directory sign-in.',
  }),

  // 409: the request is fine, the state of things is not.
  container_name_taken: e(409, 'A data container with this name exists already.'),
  department_name_taken: e(409, 'A department with this name exists already.'),
  department_archived: e(409, 'This department is archived; choose another one.'),
  template_name_taken: e(409, 'A template with this name exists already.'),
  tenant_name_taken: e(409, 'A tenant with this name exists already.'),
  role_name_taken: e(409, 'A role with this name exists already.'),
  email_taken: e(409, 'This email address already has an account.'),
  container_locked: r(409, {
    delete: 'This container is locked. Unlock it before deleting it.',
    import: 'This container is locked. Unlock it to import data.',
    move: 'This container is locked. Unlock it before moving it.',
  }),
  import_running: e(409, 'An import is running in this container. Wait until it has finished.'),
  calculation_running: e(409, 'A calculation is running on this container. Wait until it has finished.'),
  import_order: e(409, 'Import the customer groups first; products and payments refer to them.'),
  has_results: e(409, 'This container has calculation results. Delete them first.'),
  no_data: e(409, 'This container holds no customer groups yet. Import them first.'),
  not_finished: e(409, 'This calculation has no results (it is still running or it failed).'),
  user_deleted: e(409, 'This user has been deleted.'),
  no_factor: e(409, 'This user has no second factor to reset.'),
  builtin_role: e(409, 'Built-in roles cannot be changed; create a new role instead.'),
  builtin_template: e(409, 'The shipped templates cannot be changed. Copy one and change the copy.'),
  already_enrolled: e(409, 'A second factor is set up already. Ask an administrator to reset it if you lost it.'),
  no_enrolment: e(409, 'Start the set-up first.'),
  recertification_open: e(409, 'A campaign of this kind is still open; finish it first.'),
  recertification_closed: e(409, 'This campaign is closed.'),
  recertification_decided: e(409, 'This user has been decided on already in this campaign.'),
  approval_decided: e(409, 'This change has been decided already.'),
  approval_expired: e(409, 'This change was not approved within 7 days and has expired; propose it again if it is still needed.'),
  approval_unknown_kind: e(409, 'This change cannot be applied by this version of Kontor.'),
  approval_failed: e(409, 'The approved change could not be applied.'),
  // OpenID Connect Back-Channel Logout: the provider's logout token failed a check (§2.6).
  logout_token_rejected: r(400, {
    missing: 'Send the logout token as the form field logout_token.',
    directory: 'No bank signs in through an OpenID Provider at this address.',
    malformed: 'The logout token is not a signed JWT.',
    alg: 'The logout token is signed with an algorithm that is not accepted.',
    signature: "The logout token's signature does not verify with the provider's keys.",
    keys_unavailable: "The provider's keys could not be fetched.",
    iss: 'The logout token comes from another issuer.',
    aud: 'The logout token is meant for another client.',
    iat: "The logout token's issue time is missing or in the future.",
    expired: 'The logout token has expired or was issued too long ago.',
    events: 'The logout token does not carry the back-channel logout event.',
    sub_or_sid: 'The logout token names neither a subject nor a session.',
    nonce: 'A logout token must not carry a nonce.',
    jti: 'The logout token has no token id (jti).',
    replayed: 'This logout token has been used already.',
  }),
  directory_not_for_vendor: e(409, 'The vendor tenant signs in with password and second factor; a directory is configured per bank.'),

  // 413, 415: what was sent is too large or of the wrong kind.
  payload_too_large: r(413, {
    body: 'The request body is too large.',
    file: 'The file is larger than the allowed {limit} bytes.',
  }),
  export_too_large: e(413, 'A download holds at most {limit} records; choose a shorter range.'),
  unsupported_media_type: r(415, {
    charset: 'This character set or encoding is not accepted.',
    csv_expected: 'Send the file as text/csv.',
    form_expected: 'Send the body as application/x-www-form-urlencoded.',
  }),

  // 429: slow down (Retry-After says how long).
  too_many_requests: e(429, 'Too many attempts. Please wait and try again.'),
  too_many_uploads: r(429, {
    user: 'You have {limit} uploads in flight already. Wait until one has finished.',
    bank: 'Your bank has {limit} uploads in flight already. Wait until one has finished.',
  }),

  // 5xx: our side.
  internal_error: e(500, 'Something went wrong on our side. Please try again; if it keeps happening, tell your administrator the time it happened.'),
  mail_failed: e(502, 'The mail with the link could not be sent. Nothing was changed; please try again, or ask the operator to check the mail settings.'),
  busy: e(503, 'The server is busy. Please try again in a moment.', { 'Retry-After': '1' }),
  database_unavailable: e(503, 'The database cannot be reached right now. Please try again in a moment.', { 'Retry-After': '5' }),
  checkpoints_unavailable: e(503, 'Signed checkpoints are not configured.'),
  directory_unavailable: e(503, "The bank's directory cannot be reached. Please try again later."),
  insufficient_storage: e(507, 'The server has too little free disk space to take this file. Nothing was stored; please tell your administrator.'),
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof CATALOGUE;

/** The `{name}`s of a message, as a union of names. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
type TextOf<T> = T extends string ? T : T extends { message: infer M extends string } ? M : never;
/** What fills a message: every placeholder, required. */
export type Values<S extends string> = { [K in Placeholders<S>]: string | number };
type ReasonArgs<R> = { [K in keyof R & string]: { reason: K } & Values<TextOf<R[K]>> }[keyof R & string];
type ArgsOf<E> = E extends { reasons: infer R } ? ReasonArgs<R> : E extends { message: infer M extends string } ? Values<M> & { reason?: never } : never;
interface Extras {
  /** The input field to correct (also a placeholder where the message names it). */
  field?: string;
  /** An English explanation appended to the message for API clients; never translated. */
  detail?: string;
  /** Response headers (Retry-After). */
  headers?: Record<string, string>;
}
export type FailOptions<C extends ErrorCode> = ArgsOf<(typeof CATALOGUE)[C]> & Extras;
/** The options argument may be left out only when the code needs nothing. */
type OptionsArg<C extends ErrorCode> = object extends FailOptions<C> ? [options?: FailOptions<C>] : [options: FailOptions<C>];

/** Fills `{name}` placeholders; an unknown name stays as it is (the types forbid that anyway). */
export function fill(template: string, values: Readonly<Record<string, string | number | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}

export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/** The status and template of a code (and reason), for the error middleware and the catalogue test. */
export function lookup(code: string, reason?: string): { status: number; message: string; headers: Record<string, string> } | undefined {
  const entry = (CATALOGUE as Record<string, Entry>)[code];
  if (!entry) return undefined;
  const headers = { ...(entry.headers ?? {}) };
  if ('message' in entry) return { status: entry.status, message: entry.message, headers };
  const text = reason === undefined ? undefined : entry.reasons[reason];
  if (text === undefined) return undefined;
  return typeof text === 'string' ? { status: entry.status, message: text, headers } : { status: text.status, message: text.message, headers };
}

/** The error for a code, ready to throw; the error middleware turns it into the JSON body. */
export function fail<C extends ErrorCode>(code: C, ...[options]: OptionsArg<C>): HttpError {
  const { field, detail, headers, reason, ...params } = (options ?? {}) as Extras & { reason?: string } & Record<string, string | number>;
  const found = lookup(code, reason);
  if (!found) throw new Error(`error code ${code} has no reason ${String(reason)}`);
  const values: Record<string, string | number> = field === undefined ? params : { field, ...params };
  const message = fill(found.message, values) + (detail ? ` ${detail}` : '');
  return new HttpError(found.status, code, message, field, { ...found.headers, ...headers }, reason, placeholders(found.message).length ? values : undefined);
}

/** Express's own 4xx refusals (a bad `%` escape in a static path, a range that cannot be served) keep their status. */
export function expressRefusal(status: number): HttpError {
  return status === 400 ? fail('invalid_input', { reason: 'malformed' }) : new HttpError(status, 'invalid_request', CATALOGUE.invalid_request.message);
}

type ZodReason = keyof typeof CATALOGUE.invalid_input.reasons;
const NAMED_REFINEMENTS = new Set<string>(Object.keys(CATALOGUE.invalid_input.reasons));

/** A schema's first complaint as `invalid_input`, its field named from the request body's top (`prefix`). */
export function fromZodIssue(issue: core.$ZodIssue | undefined, prefix: readonly string[] = []): HttpError {
  const path = [...prefix, ...(issue?.path ?? []).map(String)];
  const field = path.length ? path.join('.') : 'body';
  if (!issue) return fail('invalid_input', { reason: 'custom', field });
  const detail = issue.message;
  switch (issue.code) {
    case 'too_big': return fail('invalid_input', { reason: 'too_big', field, maximum: String(issue.maximum), detail });
    case 'too_small': return fail('invalid_input', { reason: 'too_small', field, minimum: String(issue.minimum), detail });
    case 'not_multiple_of': return fail('invalid_input', { reason: 'not_multiple_of', field, divisor: String(issue.divisor), detail });
    case 'unrecognized_keys': return fail('invalid_input', { reason: 'unrecognized_keys', field, keys: issue.keys.join(', '), detail });
    case 'custom': {
      // A refinement names its reason with `params: { reason, …its placeholders }`; without one it is `custom`.
      const { reason: named, ...values } = (issue.params ?? {}) as Record<string, string>;
      const reason = typeof named === 'string' && NAMED_REFINEMENTS.has(named) ? (named as ZodReason) : 'custom';
      return fail('invalid_input', { ...values, reason, field, detail } as FailOptions<'invalid_input'>);
    }
    default: return fail('invalid_input', { reason: issue.code, field, detail });
  }
}

// ---------------------------------------------------------------------------------------------
// Import reports: the errors of one file, each with its line and column (the same rules as above).

export const IMPORT_ERRORS = {
  // The file as a whole.
  empty_file: r(400, {
    no_rows: 'The file has a header but no data rows. Nothing was changed.',
    empty: 'The file is empty. Nothing was changed.',
  }),
  interrupted: e(500, 'The server restarted during this import. Nothing was changed; please upload the file again.'),
  not_csv: e(400, 'This is not a CSV file (it looks like {format}). Export the data as CSV with ; as separator.'),
  wrong_separator: r(400, {
    comma: 'Kontor expects ; as separator; this file uses commas.',
    tab: 'Kontor expects ; as separator; this file uses tabs.',
  }),
  wrong_kind: r(400, {
    customer_groups: 'This looks like a customer groups file. Upload it in the customer groups slot.',
    products: 'This looks like a products file. Upload it in the products slot.',
    payments: 'This looks like a payments file. Upload it in the payments slot.',
  }),
  internal_error: e(500, 'The import failed on our side. Nothing was changed; please try again.'),
  // A line.
  encoding: e(400, 'This line holds bytes that are not UTF-8; the file is probably in another encoding. Export it as UTF-8 and try again.'),
  line_too_long: e(400, "The line is longer than {limit} bytes; no line of an import file is that long. Check that the file is this kind's CSV export with one record per line."),
  malformed_csv: e(400, 'The quotes in this line do not match. Check the line and export the file again.'),
  ragged_row: e(400, 'The row has {cells} cells; the header has {expected}.'),
  duplicate_group: e(400, 'The group {group} appears more than once.'),
  unknown_group: e(400, "The group {group} is not in this container's customer groups."),
  // The header.
  duplicate_column: e(400, 'The column "{column}" appears twice.'),
  unknown_column: e(400, '"{column}" is not a column of {kind}; extra columns are refused so that no personal data is imported.'),
  missing_column: e(400, 'The column "{column}" is missing.'),
  // A cell.
  nul_byte: e(400, '{column} contains a NUL byte (0x00); the file is probably damaged or not a CSV export.'),
  required: e(400, '{column} is required.'),
  business_only: e(400, '{column} is for business customers (FK) only and must be empty for PK.'),
  invalid_format: r(400, {
    whole_number: '{column} must be a whole number.',
    amount: '{column} must be an amount like 1234,56 or 1234.56.',
    group_id: '{column} must be 1 to 64 letters, digits, _ or -.',
    text16: '{column} must be 1 to 16 characters.',
    postcode: '{column} must be 5 digits.',
    industry: '{column} must be a WZ 2008 code like 49.41.',
  }),
  out_of_range: r(400, {
    between: '{column} must be between {min} and {max}.',
    at_least: '{column} must be at least {min}.',
  }),
  invalid_value: e(400, '{column} must be one of {values}.'),
} as const satisfies Record<string, Entry>;

export type ImportErrorCode = keyof typeof IMPORT_ERRORS;

/** Where in the file: the line (1 is the header) and the column, or null for the whole file or line. */
export interface ImportErrorAt { line: number | null; column: string | null }
/** One entry of an import report, as stored with the import and sent to the client. */
export interface ImportReportError extends ImportErrorAt {
  code: string;
  /** The English sentence, filled in (API clients show it; the SPA says it in the user's language). */
  message: string;
  reason?: string;
  /** Values the message is made of besides line and column (a limit, a group id). */
  params?: Record<string, number | string>;
  /** The message was cut to its bound (it quoted something long). */
  truncated?: boolean;
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ImportErrorOptions<C extends ImportErrorCode> = DistributiveOmit<ArgsOf<(typeof IMPORT_ERRORS)[C]>, 'column'>;
type ImportOptionsArg<C extends ImportErrorCode> = object extends ImportErrorOptions<C> ? [options?: ImportErrorOptions<C>] : [options: ImportErrorOptions<C>];

/** An import report entry for a code; `{column}` in its message is the entry's column. */
export function importError<C extends ImportErrorCode>(code: C, at: ImportErrorAt, ...[options]: ImportOptionsArg<C>): ImportReportError {
  const { reason, ...params } = (options ?? {}) as { reason?: string } & Record<string, string | number>;
  const entry = (IMPORT_ERRORS as Record<string, Entry>)[code]!;
  const text = 'message' in entry ? entry.message : entry.reasons[reason ?? ''];
  if (text === undefined) throw new Error(`import error ${code} has no reason ${String(reason)}`);
  const template = typeof text === 'string' ? text : text.message;
  const message = fill(template, { ...params, column: at.column ?? undefined });
  const out: ImportReportError = { line: at.line, column: at.column, code, message };
  if (reason !== undefined) out.reason = reason;
  if (Object.keys(params).length) out.params = params;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Calculations: why a run failed (stored with the run, shown in its history).

export const CALCULATION_ERRORS = {
  timeout: e(500, 'The calculation took longer than the configured limit and was stopped. No results were kept.'),
  numeric_overflow: e(500, 'A value in this container is too large for the calculation. No results were kept.'),
  internal_error: e(500, 'The calculation failed on our side. No results were kept; please try again.'),
  container_gone: e(500, 'The data container was deleted during the calculation.'),
  no_data: e(500, 'The container holds no customer groups. Import them first.'),
  interrupted: e(500, 'The server restarted during this calculation. No results were kept; please start it again.'),
} as const satisfies Record<string, Single>;
export type CalculationErrorCode = keyof typeof CALCULATION_ERRORS;
