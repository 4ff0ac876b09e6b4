import type IntlService from 'ember-intl/services/intl';

/**
 * Numbers as the user's locale writes them (issue 15: `0,3 s`, `11.269`, `1.234,56 €`): the one
 * place every table, chart and label formats counts, amounts, durations and shares. Templates may
 * use ember-intl's `formatNumber` for plain counts; it formats with the same locale.
 */

/** A count: `11.269` (de) / `11,269` (en). */
export function formatCount(intl: IntlService, n: number | string | null | undefined): string {
  return intl.formatNumber(Number(n ?? 0));
}

/** An amount in euros; whole euros unless `cents`: `1.235 €` / `€1,235`, `1.234,56 €`. Amounts arrive as strings (numeric). */
export function formatAmount(intl: IntlService, v: number | string | null | undefined, cents = false): string {
  const digits = cents ? 2 : 0;
  return intl.formatNumber(Number(v ?? 0), { style: 'currency', currency: 'EUR', minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A duration in seconds with one decimal: `0,3` (de) / `0.3` (en); the unit comes from the sentence around it. */
export function formatSeconds(intl: IntlService, ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : intl.formatNumber(ms / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** A share of 0..1 as a percentage: `42 %` (de) / `42%` (en). */
export function formatPercent(intl: IntlService, share: number): string {
  return intl.formatNumber(share, { style: 'percent', maximumFractionDigits: 0 });
}

/** The locale Chart.js formats its axis ticks and tooltips with (its default is the browser's, not the UI's). */
export function chartLocale(intl: IntlService): string {
  return intl.primaryLocale ?? 'de-de';
}
