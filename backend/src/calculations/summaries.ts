import type { Part } from './calculation-run-store.js';
import { UNASSIGNED, type TemplateDefinition } from './definitions.js';

/**
 * A run's summary (the aggregates behind its charts) from the partial aggregates its slices
 * wrote. Pure: no database. Amounts are summed by PostgreSQL and arrive as exact decimal strings.
 */

/** Segment numbers as the results store them: 1 = the template's first segment, 0 = unassigned. */
export function segmentNames(template: TemplateDefinition): Map<number, { name: string; kut: number }> {
  return new Map([...template.segments.map((s, i) => [i + 1, { name: s.name, kut: s.kut }] as const), [0, { name: UNASSIGNED, kut: 0 }] as const]);
}

export interface SegmentationAggregates {
  segments: { segment_no: number; segment: string; kut: number; count: number; volume: string }[];
  matrix: { segment_no: number; branch: string; count: number }[];
}

/** The summary of a segmentation from its slices' parts (per segment number and branch). */
export function segmentationAggregates(parts: Part[], template: TemplateDefinition): SegmentationAggregates {
  const names = segmentNames(template);
  const segments = parts.filter((p) => p.dimension === 'segment' && p.level === 'a').map((p) => ({ no: Number(p.a), count: p.count, volume: p.amount }));
  return {
    segments: segments.sort((x, y) => x.no - y.no).map((s) => ({
      segment_no: s.no, segment: names.get(s.no)?.name ?? UNASSIGNED, kut: names.get(s.no)?.kut ?? 0, count: s.count, volume: s.volume,
    })),
    matrix: parts.filter((p) => p.dimension === 'segment' && p.level === 'key').map((p) => ({ segment_no: Number(p.a), branch: String(p.b), count: p.count }))
      .sort((x, y) => x.segment_no - y.segment_no || (x.branch < y.branch ? -1 : x.branch > y.branch ? 1 : 0)),
  };
}

export interface LeasingAggregates {
  histogram: number[];
  classes: { class: string; count: number; potential: string }[];
  /** WZ 2008 section letter; null for groups without an industry or with a division WZ 2008 does not define. */
  bySection: { section: string | null; count: number; potential: string }[];
  byCustomerType: { customerType: number; count: number; potential: string }[];
  total: { count: number; potential: string };
}

/** The summary of a leasing run from its slices' parts (per score bin, class, section, customer type). */
export function leasingAggregates(parts: Part[]): LeasingAggregates {
  const of = (dimension: string) => parts.filter((p) => p.dimension === dimension && p.level === 'key');
  const histogram = Array.from({ length: 10 }, () => 0);
  for (const p of of('bin')) histogram[Number(p.a)] = p.count;
  const sum = (p: Part) => ({ count: p.count, potential: p.amount });
  const total = parts.find((p) => p.dimension === 'class' && p.level === 'all');
  return {
    histogram,
    classes: of('class').map((p) => ({ class: String(p.a), ...sum(p) })).sort((a, b) => a.class.localeCompare(b.class)),
    bySection: of('section').map((p) => ({ section: p.a, ...sum(p) }))
      .sort((a, b) => (a.section === null ? 1 : b.section === null ? -1 : a.section.localeCompare(b.section))),
    byCustomerType: of('customer_type').map((p) => ({ customerType: Number(p.a), ...sum(p) })).sort((a, b) => a.customerType - b.customerType),
    total: total ? sum(total) : { count: 0, potential: '0' },
  };
}
