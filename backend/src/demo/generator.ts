import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';

/** mulberry32: a small, fast, seedable PRNG, so the same seed always yields the same files. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HIGH = ['01.11', '10.71', '25.62', '28.41', '41.20', '43.22', '49.41', '52.10'];
const MEDIUM = ['45.20', '46.90', '47.11', '69.10', '70.22', '71.12', '86.21', '88.10'];
const OTHER = ['55.10', '56.10', '62.01', '64.19', '68.20', '90.01', '93.11', '96.02'];

export interface GeneratedCounts {
  customerGroups: number;
  products: number;
  payments: number;
}

/**
 * Writes customer_groups.csv, products.csv and payments.csv with plausible distributions: about
 * 80 % private and 20 % business groups, ratings skewed to good, one to five product holdings,
 * leasing payments for a share of business groups. Streams, so a million groups need little memory.
 */
export async function generate(options: { groups: number; seed: number; outDir: string }): Promise<GeneratedCounts> {
  const rnd = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const money = (max: number) => (rnd() * max).toFixed(2).replace('.', ',');
  fs.mkdirSync(options.outDir, { recursive: true });
  const open = (name: string, header: string) => {
    const s = fs.createWriteStream(path.join(options.outDir, name));
    s.write(`${header}\n`);
    return s;
  };
  const groupsOut = open('customer_groups.csv', 'group_id;kind;customer_type;branch;postcode;age;industry;turnover;rating;negative_flag;online_logins_12m');
  const productsOut = open('products.csv', 'group_id;product_group;balance;balance_avg;count');
  const paymentsOut = open('payments.csv', 'group_id;category;count_12m;sum_12m');
  const write = async (s: fs.WriteStream, line: string) => {
    if (!s.write(line)) await once(s, 'drain');
  };
  const counts: GeneratedCounts = { customerGroups: 0, products: 0, payments: 0 };
  const branches = Array.from({ length: 24 }, (_, i) => String(100 + i * 7));
  for (let i = 1; i <= options.groups; i++) {
    const id = `KV${String(i).padStart(8, '0')}`;
    const business = rnd() < 0.2;
    const industryBand = rnd();
    const industry = business ? pick(industryBand < 0.45 ? HIGH : industryBand < 0.75 ? MEDIUM : OTHER) : '';
    const turnoverRoll = rnd();
    const turnover = !business ? '' : rnd() < 0.05 ? '' : money(turnoverRoll < 0.5 ? 250_000 : turnoverRoll < 0.8 ? 1_000_000 : turnoverRoll < 0.97 ? 10_000_000 : 50_000_000);
    const rating = rnd() < 0.15 ? '' : String(Math.min(18, 1 + Math.floor(Math.abs(rnd() + rnd() - 1) * 18)));
    const age = business ? -1 : rnd() < 0.03 ? -1 : between(18, 95);
    await write(groupsOut, `${id};${business ? 'FK' : 'PK'};${business ? between(400, 699) : between(100, 399)};${pick(branches)};${String(between(1067, 99998)).padStart(5, '0')};${age};${industry};${turnover};${rating};${rnd() < 0.03 ? 1 : 0};${Math.floor(rnd() * rnd() * 400)}\n`);
    counts.customerGroups++;
    const holdings = rnd() < 0.05 ? 0 : between(1, 5);
    const groupsHeld = new Set<string>();
    for (let h = 0; h < holdings; h++) {
      const product = pick(business ? ['GIRO', 'LOAN', 'INVESTMENT_LOAN', 'LEASING', 'SAVINGS', 'INSURANCE'] as const : ['GIRO', 'SAVINGS', 'SECURITIES', 'BUILDING_SAVINGS', 'INSURANCE', 'LOAN'] as const);
      if (groupsHeld.has(product)) continue;
      groupsHeld.add(product);
      const zero = rnd() < 0.04;
      const sign = product === 'LOAN' || product === 'INVESTMENT_LOAN' ? '-' : '';
      const balance = zero ? '0' : `${sign}${money(product === 'GIRO' ? 20_000 : 250_000)}`;
      await write(productsOut, `${id};${product};${balance};${balance};${between(1, 3)}\n`);
      counts.products++;
    }
    if (business && rnd() < 0.35) {
      const category = pick(['LEASING_OTHER', 'LEASING_OWN', 'VEHICLE_FINANCE', 'INVESTMENT', 'OTHER'] as const);
      await write(paymentsOut, `${id};${category};${between(1, 24)};${money(120_000)}\n`);
      counts.payments++;
    }
  }
  await Promise.all([groupsOut, productsOut, paymentsOut].map((s) => new Promise((resolve) => s.end(resolve))));
  return counts;
}
