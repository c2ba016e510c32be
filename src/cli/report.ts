/**
 * What the command line prints and writes about a run: a summary for people, one line per block
 * with the failure's expected and actual below it, and JUnit XML for CI (a testsuite per file, a
 * testcase per block). Pure: no Node. Topics, payloads and messages are untrusted text: the XML
 * escapes them and drops characters XML cannot hold; the terminal gets no control characters.
 */
import type { BlockResult, RunResult } from '../runner/types';

/** One file's outcome: its run, or why it could not run at all. */
export interface FileReport {
  /** As shown: relative to the current folder. */
  path: string;
  run?: RunResult;
  /** The file could not be read or prepared (no run). */
  error?: string;
  /** Problems of the file that are not a block's (its header, mqtt.env.json), as lines. */
  notes?: string[];
}

export interface Totals {
  tests: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
}

export function totals(reports: readonly FileReport[]): Totals {
  const sum: Totals = { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0 };
  for (const report of reports) {
    if (!report.run) {
      sum.tests++;
      sum.errors++;
      continue;
    }
    for (const block of report.run.blocks) {
      sum.tests++;
      if (block.status === 'passed') sum.passed++;
      else if (block.status === 'failed') sum.failed++;
      else if (block.status === 'error') sum.errors++;
      else sum.skipped++;
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// For people

export interface Style {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

export const PLAIN: Style = { green: (text) => text, red: (text) => text, yellow: (text) => text, dim: (text) => text };
export const COLOURS: Style = {
  green: (text) => `\u001b[32m${text}\u001b[39m`,
  red: (text) => `\u001b[31m${text}\u001b[39m`,
  yellow: (text) => `\u001b[33m${text}\u001b[39m`,
  dim: (text) => `\u001b[2m${text}\u001b[22m`,
};

/** No terminal escapes from a payload or a topic: control characters become visible. */
function safe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

const MAX_SHOWN_LINES = 40;

function clip(text: string): string {
  const lines = text.split('\n');
  return lines.length > MAX_SHOWN_LINES ? `${lines.slice(0, MAX_SHOWN_LINES).join('\n')}\n… (${lines.length - MAX_SHOWN_LINES} more lines)` : text;
}

/** A block's lines: ✓/✗/- with its label and duration, and for a failure its message, expected and actual. */
export function blockLines(block: BlockResult, style: Style): string[] {
  const label = safe(block.label);
  const lines: string[] = [];
  switch (block.status) {
    case 'passed':
      lines.push(`  ${style.green('✓')} ${label} ${style.dim(`(${duration(block.durationMs)})`)}${block.message ? style.dim(`  ${safe(block.message)}`) : ''}`);
      break;
    case 'skipped':
      lines.push(`  ${style.yellow('-')} ${label} ${style.dim(`(skipped${block.message ? `: ${safe(block.message)}` : ''})`)}`);
      break;
    default: {
      const what = block.status === 'error' ? 'could not run' : 'failed';
      lines.push(`  ${style.red('✗')} ${label} ${style.dim(`(${duration(block.durationMs)}, ${what})`)}`);
      if (block.message) lines.push(indent(safe(block.message), '      '));
      if (block.expected !== undefined || block.actual !== undefined) {
        lines.push(`      ${style.green('expected:')}`, indent(safe(clip(block.expected ?? '')), '        '));
        lines.push(`      ${style.red('actual:')}`, indent(safe(clip(block.actual ?? '')), '        '));
      }
    }
  }
  return lines;
}

/** A file's heading and its notes, printed before its blocks run. */
export function fileLines(report: FileReport, style: Style): string[] {
  const lines = [safe(report.path)];
  for (const note of report.notes ?? []) lines.push(`  ${style.yellow('!')} ${safe(note)}`);
  if (report.error !== undefined) lines.push(`  ${style.red('✗')} ${safe(report.error)}`);
  return lines;
}

/** What follows a file's blocks. */
export function fileEndLines(run: RunResult, style: Style): string[] {
  const lines: string[] = [];
  if (!run.blocks.length) lines.push(style.dim('  (no blocks)'));
  if (run.cancelled) lines.push(style.yellow('  Cancelled.'));
  return lines;
}

/** The totals line: "3 passed, 1 failed, 2 skipped (1.20 s)". */
export function summaryLine(reports: readonly FileReport[], style: Style, durationMs?: number): string {
  const sum = totals(reports);
  const parts = [style.green(`${sum.passed} passed`)];
  if (sum.failed) parts.push(style.red(`${sum.failed} failed`));
  if (sum.errors) parts.push(style.red(`${sum.errors} could not run`));
  if (sum.skipped) parts.push(style.yellow(`${sum.skipped} skipped`));
  return `${parts.join(', ')}${durationMs !== undefined ? style.dim(` (${duration(durationMs)})`) : ''}`;
}

/** The whole summary at once: per file its blocks, then the totals. */
export function humanReport(reports: readonly FileReport[], style: Style = PLAIN, durationMs?: number): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(...fileLines(report, style));
    if (!report.run) continue;
    for (const block of report.run.blocks) lines.push(...blockLines(block, style));
    lines.push(...fileEndLines(report.run, style));
  }
  lines.push('', summaryLine(reports, style, durationMs));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// JUnit XML

/** Text as XML character data or an attribute value: escaped, and without characters XML 1.0 cannot hold (lone surrogates, most control characters). */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlText(String(value))}"`)
    .join('');
}

function testcase(block: BlockResult, classname: string): string {
  const head = `    <testcase${attributes({ name: `${block.index + 1}. ${block.label}`, classname, time: seconds(block.durationMs) })}`;
  const message = block.message ?? '';
  if (block.status === 'passed') return message ? `${head}>\n      <system-out>${xmlText(message)}</system-out>\n    </testcase>` : `${head}/>`;
  if (block.status === 'skipped') return `${head}>\n      <skipped${attributes({ message })}/>\n    </testcase>`;
  const details = [message];
  if (block.expected !== undefined || block.actual !== undefined) details.push('', 'expected:', block.expected ?? '', '', 'actual:', block.actual ?? '');
  const tag = block.status === 'failed' ? 'failure' : 'error';
  const type = block.status === 'failed' ? 'AssertionError' : 'BlockError';
  return `${head}>\n      <${tag}${attributes({ message, type })}>${xmlText(details.join('\n'))}</${tag}>\n    </testcase>`;
}

/** JUnit XML (as Jenkins, GitLab and GitHub reporters read it): a testsuite per file, a testcase per block. */
export function junitXml(reports: readonly FileReport[], timestamp: string, durationMs: number): string {
  const sum = totals(reports);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attributes({ name: 'mqtt-explorer-test', tests: sum.tests, failures: sum.failed, errors: sum.errors, skipped: sum.skipped, time: seconds(durationMs), timestamp })}>`];
  for (const report of reports) {
    const file = totals([report]);
    const suite = attributes({ name: report.path, tests: file.tests, failures: file.failed, errors: file.errors, skipped: file.skipped, time: seconds(report.run?.durationMs ?? 0), timestamp, file: report.path });
    lines.push(`  <testsuite${suite}>`);
    if (!report.run) {
      const message = report.error ?? 'Not run.';
      lines.push(`    <testcase${attributes({ name: report.path, classname: report.path, time: '0.000' })}>`, `      <error${attributes({ message, type: 'FileError' })}>${xmlText(message)}</error>`, '    </testcase>');
    } else {
      for (const block of report.run.blocks) lines.push(testcase(block, report.path));
    }
    if (report.notes?.length) lines.push(`    <system-err>${xmlText(report.notes.join('\n'))}</system-err>`);
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
