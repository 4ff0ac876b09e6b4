import type IntlService from 'ember-intl/services/intl';
import { fieldLabel } from 'frontend/utils/error-message';
import { formatSeconds } from 'frontend/utils/format';
import { rightName } from 'frontend/utils/names';

type Details = Record<string, unknown> | null | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMERIC = /^-?\d+(\.\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A translation when there is one, else `fallback`. */
function tOr(intl: IntlService, key: string, fallback: string): string {
  return intl.exists(key) ? intl.t(key) : fallback;
}

/** What kind of import, calculation or approval `kind` names, by the event it belongs to. */
function kindText(intl: IntlService, type: string, kind: string): string {
  if (type.startsWith('import.')) return tOr(intl, `containers.kind.${kind}`, kind).replace(/^\d+\.\s*/, '');
  if (type.startsWith('calculation.')) return tOr(intl, `calculations.kind.${kind}`, kind);
  if (type.startsWith('approval.')) return tOr(intl, `admin.approvals.kind.${kind}`, kind);
  return tOr(intl, `names.auditValue.${kind}`, kind);
}

function valueText(intl: IntlService, type: string, key: string, v: unknown): string {
  const s = String(v);
  if (typeof v === 'boolean' || s === 'true' || s === 'false') return intl.t(s === 'true' ? 'names.auditValue.yes' : 'names.auditValue.no');
  if (key === 'durationMs') return `${formatSeconds(intl, Number(v))} s`;
  if (key === 'kind') return kindText(intl, type, s);
  if (key === 'fields') return s.split(',').filter(Boolean).map((f) => fieldLabel(intl, f)).join(', ');
  if (key === 'missing' || key === 'rights') return s.split(',').filter(Boolean).map((r) => rightName(intl, r.trim())).join(', ');
  if (key === 'decision') return tOr(intl, `admin.recert.decision.${s}`, s);
  if (key === 'scope') return tOr(intl, `admin.recert.scope.${s}`, s);
  if (typeof v === 'number' || NUMERIC.test(s)) return intl.formatNumber(Number(v));
  if (ISO_TIME.test(s) && !Number.isNaN(Date.parse(s))) return intl.formatDate(s, { dateStyle: 'short', timeStyle: 'short' });
  return tOr(intl, `names.auditValue.${s}`, s);
}

/**
 * An audit record's details as a person reads them (issue 15): `Rollen: 1`, `Art: Leasing-Potenzial,
 * Dauer: 0,7 s`. Ids (UUIDs) and empty values are left out: the row's subject names the thing, and the
 * auditors' download keeps every detail as stored.
 */
export function auditDetailsText(intl: IntlService, type: string, details: Details): string {
  return Object.entries(details ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && !(typeof v === 'string' && UUID.test(v)))
    .map(([k, v]) => `${tOr(intl, `names.auditDetail.${k}`, k)}: ${valueText(intl, type, k, v)}`)
    .join(', ');
}
