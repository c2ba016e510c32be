import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AxeResults, ImpactValue } from 'axe-core';
import type { Frame } from 'playwright-core';
import { REPO_ROOT } from '../../tools/workbench/testHost';

/** One rule axe-core found broken, with the elements that break it. */
export interface Violation {
  id: string;
  impact: ImpactValue | undefined;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

let source: string | undefined;

/**
 * Runs axe-core (WCAG 2 A and AA, and its best practices) in a webview's frame and returns what it
 * found broken. The webview's CSP admits no script without its nonce, so axe is not added as a
 * script tag: Playwright's evaluate runs through the DevTools protocol, which the CSP does not govern.
 * The page is checked as the workbench renders it, in the theme's real colours (color-contrast counts).
 */
export async function runAxe(frame: Frame): Promise<Violation[]> {
  source ??= readFileSync(join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const loaded = await frame.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  // The source defines `axe` on the window when it runs as a script of the page's global scope.
  if (!loaded) await frame.evaluate(`${source}\n;void 0`);
  const results = await frame.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> } }).axe;
    const found = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    // Only what crosses back to Node: plain data, no elements.
    return found.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      helpUrl: violation.helpUrl,
      nodes: violation.nodes.map((node) => ({ target: node.target.map(String).join(' '), html: node.html.slice(0, 300), summary: node.failureSummary ?? '' })),
    }));
  });
  return results;
}

export const SERIOUS: readonly ImpactValue[] = ['serious', 'critical'];

/** Violations as lines for the test's record: impact, rule, what it asks, and each element. */
export function describeViolations(where: string, violations: readonly Violation[]): string {
  if (!violations.length) return `${where}: no violations`;
  const lines = [`${where}: ${violations.length} rule(s) broken`];
  for (const violation of violations) {
    lines.push(`  [${violation.impact ?? 'n/a'}] ${violation.id}: ${violation.help} (${violation.helpUrl})`);
    for (const node of violation.nodes.slice(0, 8)) lines.push(`      ${node.target}  ${node.html.replace(/\s+/g, ' ').slice(0, 160)}\n        ${node.summary.replace(/\n/g, ' | ').slice(0, 300)}`);
    if (violation.nodes.length > 8) lines.push(`      … and ${violation.nodes.length - 8} more`);
  }
  return lines.join('\n');
}
