/**
 * Every field an error can name, found in the code: the request schemas (walked, so nested paths
 * such as `template.segments.0.kut` are listed as `template.segments.kut`), the path parameters of
 * the routes, and the `field:` of every throw site. An array's element is written `#`
 * (`template.segments.#.kut`): the SPA calls it "Segment 1".
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

export function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Schemas validated under a prefix (calculations-service's `validated(prefix, …)`). */
const PREFIXES: Record<string, string> = { templateDefinition: 'template', leasingParams: 'params' };
/** Modules whose exported zod schemas read request bodies and queries. */
const SCHEMA_MODULES = /(^|\/)(schemas|routes|settings-routes|definitions)\.ts$/;

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; items?: z.ZodType[]; options?: z.ZodType[]; valueType?: z.ZodType };

/** The field paths of a schema; every node counts (a refine may name it). */
export function schemaFields(schema: z.ZodType, prefix: string[], out: Set<string>): void {
  if (prefix.length) out.add(prefix.join('.'));
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  if (def.type === 'object' && def.shape) for (const [k, v] of Object.entries(def.shape)) schemaFields(v, [...prefix, k], out);
  for (const item of [def.element, ...(def.items ?? [])]) if (item) schemaFields(item, [...prefix, '#'], out);
  for (const inner of [def.innerType, def.in, def.out, def.valueType, ...(def.options ?? [])]) {
    if (inner) schemaFields(inner, prefix, out);
  }
}

export async function errorFields(): Promise<Set<string>> {
  const fields = new Set<string>(['body']);
  for (const file of sourceFiles()) {
    const rel = path.relative(SRC, file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bfield: '([A-Za-z.]+)'/g)) fields.add(m[1]!);
    for (const m of text.matchAll(/'\/[^']*'/g)) for (const p of m[0].matchAll(/\/:([A-Za-z]+)/g)) fields.add(p[1]!);
    if (!SCHEMA_MODULES.test(rel.split(path.sep).join('/'))) continue;
    const mod = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (value instanceof z.ZodType) schemaFields(value, PREFIXES[name] ? [PREFIXES[name]] : [], fields);
    }
  }
  return fields;
}
