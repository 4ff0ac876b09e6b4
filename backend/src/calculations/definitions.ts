import { z } from 'zod';
import { PRODUCT_GROUPS } from '../imports/formats.js';

/**
 * What a calculation is told to do (DESIGN §1): segmentation templates and leasing parameters,
 * their validation and their shipped defaults. Pure: no database, no HTTP.
 */

export const CALCULATION_KINDS = ['segmentation', 'leasing'] as const;
export type CalculationKind = (typeof CALCULATION_KINDS)[number];

/**
 * Names travel into CSV exports opened in spreadsheets: no separator, quote or line break (so no
 * quoting is ever needed) and no leading = + - @ (a formula in Excel).
 */
const exportSafeName = z.string().trim().min(1, 'is required').max(80, 'is longer than 80 characters')
  .refine((s) => !/[;"\r\n\t]/.test(s), { message: 'must not contain ; " or line breaks', params: { reason: 'csv_unsafe_text' } })
  .refine((s) => !/^[=+\-@]/.test(s), { message: 'must not start with = + - or @', params: { reason: 'formula_start' } });

const money = z.number().finite().min(-1e15).max(1e15);
const rules = z.object({
  ageMin: z.number().int().min(0).max(150).optional(),
  ageMax: z.number().int().min(0).max(150).optional(),
  volumeMin: money.optional(),
  volumeMax: money.optional(),
  volumeGroups: z.array(z.enum(PRODUCT_GROUPS)).min(1, 'must name at least one product group')
    .refine((a) => new Set(a).size === a.length, { message: 'names a product group twice', params: { reason: 'duplicate_product_group' } }).optional(),
  turnoverMin: z.number().finite().min(0).max(1e15).optional(),
  turnoverMax: z.number().finite().min(0).max(1e15).optional(),
  ratingMax: z.number().int().min(1).max(18).optional(),
}).strict()
  .refine((r) => r.ageMin === undefined || r.ageMax === undefined || r.ageMin < r.ageMax, { message: 'must be greater than ageMin', path: ['ageMax'], params: { reason: 'not_greater', other: 'ageMin' } })
  .refine((r) => r.volumeMin === undefined || r.volumeMax === undefined || r.volumeMin < r.volumeMax, { message: 'must be greater than volumeMin', path: ['volumeMax'], params: { reason: 'not_greater', other: 'volumeMin' } })
  .refine((r) => r.turnoverMin === undefined || r.turnoverMax === undefined || r.turnoverMin < r.turnoverMax, { message: 'must be greater than turnoverMin', path: ['turnoverMax'], params: { reason: 'not_greater', other: 'turnoverMin' } });

/** The segment of groups that no segment matches (kut 0). */
export const UNASSIGNED = 'unassigned';

export const SEGMENT_TYPES = ['negative', 'no_products', 'inactive', 'normal'] as const;
const segment = z.object({
  name: exportSafeName.refine((s) => s !== UNASSIGNED, { message: 'is reserved for groups that no segment matches', params: { reason: 'reserved_name' } }),
  kut: z.number().int().min(0).max(9),
  kind: z.enum(['PK', 'FK', 'ALL']),
  type: z.enum(SEGMENT_TYPES),
  rules: rules.default({}),
}).strict();

export const templateDefinition = z.object({
  name: exportSafeName,
  segments: z.array(segment).min(1, 'needs at least one segment').max(50, 'has more than 50 segments')
    .refine((s) => new Set(s.map((x) => x.name)).size === s.length, { message: 'names a segment twice', params: { reason: 'duplicate_segment' } }),
}).strict();

export type TemplateDefinition = z.infer<typeof templateDefinition>;
export type Segment = TemplateDefinition['segments'][number];

const wholePoints = z.number().int().min(0).max(100);
const rate = z.number().finite().min(0).max(1).refine((n) => Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-6, { message: 'has more than 6 decimal places', params: { reason: 'too_many_decimals' } });

export const leasingParams = z.object({
  ratingMax: z.number().int().min(1).max(18),
  weights: z.object({
    leasingOther: wholePoints,
    industryHigh: wholePoints,
    industryMedium: wholePoints,
    industryOther: wholePoints,
    turnover: z.tuple([wholePoints, wholePoints, wholePoints, wholePoints]),
    investmentLoan: wholePoints,
  }).strict(),
  turnoverBounds: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])
    .refine(([a, b, c]) => a < b && b < c, { message: 'must be strictly increasing', params: { reason: 'not_increasing' } }),
  classBounds: z.object({ A: wholePoints, B: wholePoints, C: wholePoints }).strict()
    .refine((c) => c.A > c.B && c.B > c.C, { message: 'must satisfy A > B > C', params: { reason: 'class_order' } }),
  potentialRates: z.object({ high: rate, medium: rate, other: rate }).strict(),
}).strict().refine((p) => {
  const w = p.weights;
  return w.leasingOther + Math.max(w.industryHigh, w.industryMedium, w.industryOther) + Math.max(...w.turnover) + w.investmentLoan <= 100;
}, { message: 'the largest possible score must not exceed 100', path: ['weights'], params: { reason: 'score_over_100' } });

export type LeasingParams = z.infer<typeof leasingParams>;

export const DEFAULT_LEASING_PARAMS: LeasingParams = {
  ratingMax: 10,
  weights: { leasingOther: 40, industryHigh: 25, industryMedium: 15, industryOther: 5, turnover: [5, 10, 20, 25], investmentLoan: 10 },
  turnoverBounds: [250_000, 1_000_000, 10_000_000],
  classBounds: { A: 70, B: 50, C: 30 },
  potentialRates: { high: 0.04, medium: 0.025, other: 0.01 },
};

type Plain = Record<string, unknown>;
function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Given parameters over the defaults: objects merge key by key, arrays and numbers replace. */
function overlay(base: unknown, given: unknown): unknown {
  if (!isPlain(base) || !isPlain(given)) return given === undefined ? base : given;
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(given)) out[k] = overlay(base[k], v);
  return out;
}

/** The parameters a run uses: the caller's over the documented defaults, then validated whole. */
export function effectiveLeasingParams(given: unknown): LeasingParams {
  return leasingParams.parse(overlay(DEFAULT_LEASING_PARAMS, given ?? {}));
}

/** Shipped templates: read-only, listed for every bank; a bank copies one to change it. */
export const BUILTIN_TEMPLATES: { id: string; definition: TemplateDefinition }[] = [
  {
    id: '00000000-0000-4000-8000-00000000a001',
    definition: {
      name: 'Privatkunden (Standard)',
      segments: [
        { name: 'Negativmerkmal', kut: 9, kind: 'PK', type: 'negative', rules: {} },
        { name: 'Ohne Produkte', kut: 8, kind: 'PK', type: 'no_products', rules: {} },
        { name: 'Inaktiv', kut: 7, kind: 'PK', type: 'inactive', rules: {} },
        { name: 'Vermögende Privatkunden', kut: 1, kind: 'PK', type: 'normal', rules: { volumeMin: 250_000, volumeGroups: ['SAVINGS', 'SECURITIES', 'BUILDING_SAVINGS', 'INSURANCE'] } },
        { name: 'Gehobene Privatkunden', kut: 2, kind: 'PK', type: 'normal', rules: { volumeMin: 50_000, volumeMax: 250_000, volumeGroups: ['SAVINGS', 'SECURITIES', 'BUILDING_SAVINGS', 'INSURANCE'] } },
        { name: 'Junge Kunden', kut: 3, kind: 'PK', type: 'normal', rules: { ageMin: 0, ageMax: 26 } },
        { name: 'Standard-Privatkunden', kut: 4, kind: 'PK', type: 'normal', rules: {} },
      ],
    },
  },
  {
    id: '00000000-0000-4000-8000-00000000a002',
    definition: {
      name: 'Firmenkunden (Standard)',
      segments: [
        { name: 'Negativmerkmal', kut: 9, kind: 'FK', type: 'negative', rules: {} },
        { name: 'Ohne Produkte', kut: 8, kind: 'FK', type: 'no_products', rules: {} },
        { name: 'Inaktiv', kut: 7, kind: 'FK', type: 'inactive', rules: {} },
        { name: 'Firmenkunden groß', kut: 1, kind: 'FK', type: 'normal', rules: { turnoverMin: 10_000_000 } },
        { name: 'Firmenkunden mittel', kut: 2, kind: 'FK', type: 'normal', rules: { turnoverMin: 1_000_000, turnoverMax: 10_000_000 } },
        { name: 'Gewerbekunden', kut: 3, kind: 'FK', type: 'normal', rules: { turnoverMax: 1_000_000 } },
        { name: 'Firmenkunden ohne Umsatzangabe', kut: 4, kind: 'FK', type: 'normal', rules: {} },
      ],
    },
  },
];

/** WZ 2008 sections (letters) by division range, for "potential by industry section". */
export const WZ_SECTIONS: [string, number, number][] = [
  ['A', 1, 3], ['B', 5, 9], ['C', 10, 33], ['D', 35, 35], ['E', 36, 39], ['F', 41, 43], ['G', 45, 47], ['H', 49, 53], ['I', 55, 56],
  ['J', 58, 63], ['K', 64, 66], ['L', 68, 68], ['M', 69, 75], ['N', 77, 82], ['O', 84, 84], ['P', 85, 85], ['Q', 86, 88], ['R', 90, 93],
  ['S', 94, 96], ['T', 97, 98], ['U', 99, 99],
];
