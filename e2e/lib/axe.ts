import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { base, signIn } from './pages.js';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: number;
  /** CSS selector of the first offending element. */
  first: string;
}

/**
 * WCAG 2.1 A/AA check with axe-core on the page as it is now. Needs a context created with
 * bypassCSP (the strict CSP rightly refuses the injected script); the CSP itself is asserted
 * in shell.test.ts.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, first: v.nodes[0]?.target.join(' ') ?? '' }));
}

/** Signs in (a context with bypassCSP, for axe) and lists the serious violations on each path. */
export async function violationsOn(browser: Browser, email: string, password: string, paths: string[]): Promise<string[]> {
  const page = await (await browser.newContext({ locale: 'en-US', bypassCSP: true })).newPage();
  await signIn(page, email, password);
  const failures: string[] = [];
  for (const target of paths) {
    await page.goto(`${base()}${target}`);
    await page.locator('main h1').first().waitFor();
    await page.waitForTimeout(300);
    for (const v of await seriousViolations(page)) failures.push(`${target}: ${v.id} (${v.impact}): ${v.help}`);
  }
  await page.context().close();
  return failures;
}
