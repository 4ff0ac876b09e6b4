export type CalculationKind = 'segmentation' | 'leasing';
export const CALCULATION_KINDS: CalculationKind[] = ['segmentation', 'leasing'];

export interface CalculationView {
  id: string;
  containerId: string;
  kind: CalculationKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  templateId: string | null;
  templateName: string | null;
  definition: unknown;
  groupsCount: number;
  resultsCount: number;
  error: { code: string; message: string } | null;
  createdBy: { id: string | null; name: string | null };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface TemplateView {
  id: string;
  name: string;
  builtin: boolean;
  definition: { name: string; segments: { name: string; kut: number; kind: string; type: string; rules?: Record<string, unknown> }[] };
}

export interface SegmentationSummary {
  kind: 'segmentation';
  total: number;
  segments: { segment: string; kut: number; count: number; volume: string }[];
  branches: string[];
  matrix: { segment: string; branch: string; count: number }[];
}

export interface LeasingSummary {
  kind: 'leasing';
  histogram: number[];
  classes: { class: string; count: number; potential: string }[];
  bySection: { section: string | null; count: number; potential: string }[];
  byCustomerType: { customerType: number; count: number; potential: string }[];
  total: { count: number; potential: string };
}

/**
 * The leasing parameters as the form edits them, flat. The defaults are DESIGN §1's; the server
 * validates whatever is sent and answers 400 with the field, so a stale copy here cannot do harm.
 */
export interface LeasingForm {
  ratingMax: number;
  leasingOther: number;
  industryHigh: number;
  industryMedium: number;
  industryOther: number;
  turnover0: number;
  turnover1: number;
  turnover2: number;
  turnover3: number;
  investmentLoan: number;
  bound0: number;
  bound1: number;
  bound2: number;
  classA: number;
  classB: number;
  classC: number;
  rateHigh: number;
  rateMedium: number;
  rateOther: number;
}

export const LEASING_DEFAULTS: LeasingForm = {
  ratingMax: 10, leasingOther: 40, industryHigh: 25, industryMedium: 15, industryOther: 5,
  turnover0: 5, turnover1: 10, turnover2: 20, turnover3: 25, investmentLoan: 10,
  bound0: 250_000, bound1: 1_000_000, bound2: 10_000_000, classA: 70, classB: 50, classC: 30,
  rateHigh: 0.04, rateMedium: 0.025, rateOther: 0.01,
};

export const LEASING_FIELDS = Object.keys(LEASING_DEFAULTS) as (keyof LeasingForm)[];

/** The form's values in the API's shape. */
export function leasingParams(f: LeasingForm): Record<string, unknown> {
  return {
    ratingMax: f.ratingMax,
    weights: {
      leasingOther: f.leasingOther, industryHigh: f.industryHigh, industryMedium: f.industryMedium, industryOther: f.industryOther,
      turnover: [f.turnover0, f.turnover1, f.turnover2, f.turnover3], investmentLoan: f.investmentLoan,
    },
    turnoverBounds: [f.bound0, f.bound1, f.bound2],
    classBounds: { A: f.classA, B: f.classB, C: f.classC },
    potentialRates: { high: f.rateHigh, medium: f.rateMedium, other: f.rateOther },
  };
}

/** The histogram's bin labels: 0–9 … 90–100. */
export const SCORE_BINS = Array.from({ length: 10 }, (_, i) => (i === 9 ? '90–100' : `${i * 10}–${i * 10 + 9}`));

export interface TypeShare {
  label: string;
  count: number;
  potential: number;
  other: boolean;
}

/** The `top` customer types by potential, and the rest summed as one "other" entry. */
export function topCustomerTypes(rows: LeasingSummary['byCustomerType'], top = 15): TypeShare[] {
  const sorted = [...rows].sort((a, b) => Number(b.potential) - Number(a.potential));
  const shares: TypeShare[] = sorted.slice(0, top).map((r) => ({ label: String(r.customerType), count: r.count, potential: Number(r.potential), other: false }));
  const rest = sorted.slice(top);
  if (rest.length) {
    shares.push({ label: '', count: rest.reduce((n, r) => n + r.count, 0), potential: rest.reduce((n, r) => n + Number(r.potential), 0), other: true });
  }
  return shares;
}
