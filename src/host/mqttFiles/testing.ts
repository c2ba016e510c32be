/**
 * `.mqtt` files in VS Code's Test Explorer: each file is a test item, its checks (EXPECT and
 * REQUEST blocks) are its children. Running a file runs all its blocks as a flow; running a check
 * runs the file's blocks up to it (the PUBLISH before an EXPECT is what should cause its message).
 * Failures carry expected and actual for the diff, at the block.
 */
import * as vscode from 'vscode';
import { blockLabel, MAX_FILE_CHARS, parseMqttFile, type MqttBlock, type MqttFileDocument } from '../../shared/mqttFiles';
import { Disposable } from '../../shared/dispose';
import type { BlockResult, RunEvent } from '../../runner/types';
import type { MqttFileRuns } from './runs';
import { describeStatus, detailLines, resultLine } from './runs';

/** Files listed at most: a workspace with more gets the first ones and a line in the log. */
export const MAX_TEST_FILES = 1000;
const EXCLUDE = '{**/node_modules/**,**/.git/**}';

/** The blocks that are checks: they pass or fail on what the broker does. */
export function isCheck(block: MqttBlock): boolean {
  return block.kind === 'expect' || block.kind === 'request';
}

function toRange(block: MqttBlock): vscode.Range {
  return new vscode.Range(block.range.start.line, block.range.start.character, block.range.end.line, block.range.end.character);
}

/** Output lines in the terminal's format (CRLF, also inside a multi-line value such as pretty JSON). */
function output(lines: string[]): string {
  return lines.map((line) => `${line.replace(/\r?\n/g, '\r\n')}\r\n`).join('');
}

export class MqttFileTests extends Disposable {
  private readonly controller = this.register(vscode.tests.createTestController('mqttExplorer.messageFiles', vscode.l10n.t('MQTT message files')));

  constructor(
    private readonly runs: MqttFileRuns,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const controller = this.controller;
    controller.resolveHandler = async (item) => {
      if (!item) await this.discover();
      else await this.refresh(item);
    };
    controller.refreshHandler = async () => {
      controller.items.replace([]);
      await this.discover();
    };
    controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => this.runTests(request, token), true);
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*.mqtt'));
    this.register(watcher.onDidCreate((uri) => void this.refresh(this.fileItem(uri))));
    this.register(watcher.onDidChange((uri) => void this.refreshIfKnown(uri)));
    this.register(watcher.onDidDelete((uri) => controller.items.delete(uri.toString())));
    // What is typed counts before it is saved: the items follow the editor's text.
    this.register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.path.endsWith('.mqtt')) this.update(this.fileItem(event.document.uri), parseMqttFile(event.document.getText()));
      }),
    );
    this.register(
      vscode.workspace.onDidOpenTextDocument((document) => {
        if (document.uri.path.endsWith('.mqtt')) this.update(this.fileItem(document.uri), parseMqttFile(document.getText()));
      }),
    );
  }

  private async discover(): Promise<void> {
    const found = await vscode.workspace.findFiles('**/*.mqtt', EXCLUDE, MAX_TEST_FILES + 1);
    if (found.length > MAX_TEST_FILES) this.log.warn(`Test Explorer: more than ${MAX_TEST_FILES} .mqtt files in the workspace; the first ${MAX_TEST_FILES} are listed.`);
    for (const uri of found.slice(0, MAX_TEST_FILES)) this.fileItem(uri);
  }

  private fileItem(uri: vscode.Uri): vscode.TestItem {
    const id = uri.toString();
    let item = this.controller.items.get(id);
    if (!item) {
      item = this.controller.createTestItem(id, uri.path.slice(uri.path.lastIndexOf('/') + 1), uri);
      item.canResolveChildren = true;
      this.controller.items.add(item);
    }
    return item;
  }

  private async refreshIfKnown(uri: vscode.Uri): Promise<void> {
    const item = this.controller.items.get(uri.toString());
    if (item) await this.refresh(item);
  }

  /** Reads the file (the editor's text when it is open) and lists its checks. */
  private async refresh(item: vscode.TestItem): Promise<void> {
    if (!item.uri) return;
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === item.uri?.toString());
    let text: string;
    if (open) text = open.getText();
    else {
      try {
        const stat = await vscode.workspace.fs.stat(item.uri);
        // Past the parser's limit (4 bytes a character at most), the parser would only say so: not read.
        if (stat.size > MAX_FILE_CHARS * 4) {
          item.error = vscode.l10n.t('Larger than {0} MiB: not read.', MAX_FILE_CHARS / 1024 / 1024);
          return;
        }
        text = new TextDecoder().decode(await vscode.workspace.fs.readFile(item.uri));
      } catch (error) {
        item.error = vscode.l10n.t('Cannot be read: {0}', (error as Error).message);
        return;
      }
    }
    this.update(item, parseMqttFile(text));
  }

  private update(item: vscode.TestItem, document: MqttFileDocument): void {
    item.error = undefined;
    const children: vscode.TestItem[] = [];
    const seen = new Set<string>();
    for (const block of document.blocks) {
      if (!isCheck(block)) continue;
      // A block's id is its label, numbered when it repeats: results stay with a check when blocks move.
      let id = blockLabel(block);
      for (let n = 2; seen.has(id); n++) id = `${blockLabel(block)} (${n})`;
      seen.add(id);
      const child = this.controller.createTestItem(`${item.id}#${id}`, blockLabel(block), item.uri);
      child.range = toRange(block);
      child.description = block.kind === 'request' ? 'REQUEST' : 'EXPECT';
      if (block.hasErrors) child.error = vscode.l10n.t('This block has errors: fix them to run it (see the Problems view).');
      children.push(child);
    }
    item.children.replace(children);
    item.canResolveChildren = false;
  }

  private async runTests(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request);
    try {
      // Per file: the whole file, or its blocks up to the last check asked for.
      const files = new Map<vscode.TestItem, Set<vscode.TestItem> | 'all'>();
      const roots = request.include ?? [...this.allFiles()];
      const excluded = new Set(request.exclude ?? []);
      for (const item of roots) {
        if (excluded.has(item)) continue;
        if (!item.parent) files.set(item, 'all');
        else {
          const chosen = files.get(item.parent);
          if (chosen === 'all') continue;
          files.set(item.parent, (chosen ?? new Set()).add(item));
        }
      }
      for (const [file, chosen] of files) {
        if (token.isCancellationRequested) break;
        await this.runFile(run, file, chosen, excluded, token);
      }
    } finally {
      run.end();
    }
  }

  private *allFiles(): Iterable<vscode.TestItem> {
    const items: vscode.TestItem[] = [];
    this.controller.items.forEach((item) => items.push(item));
    yield* items;
  }

  private async runFile(run: vscode.TestRun, file: vscode.TestItem, chosen: Set<vscode.TestItem> | 'all', excluded: Set<vscode.TestItem>, token: vscode.CancellationToken): Promise<void> {
    if (!file.uri) return;
    let document: vscode.TextDocument;
    try {
      document = await vscode.workspace.openTextDocument(file.uri);
    } catch (error) {
      run.errored(file, new vscode.TestMessage(vscode.l10n.t('Cannot open {0}: {1}', file.label, (error as Error).message)));
      return;
    }
    const parsed = parseMqttFile(document.getText());
    this.update(file, parsed);
    // The checks of this run, by block index.
    const checks = new Map<number, vscode.TestItem>();
    for (const block of parsed.blocks) {
      if (!isCheck(block)) continue;
      const item = this.itemOf(file, block);
      if (!item || excluded.has(item) || (chosen !== 'all' && !chosen.has(item))) continue;
      checks.set(block.index, item);
    }
    if (!checks.size) {
      if (chosen === 'all') run.appendOutput(output([vscode.l10n.t('{0}: no EXPECT or REQUEST block to check.', file.label)]));
      return;
    }
    for (const item of checks.values()) run.enqueued(item);
    const upTo = chosen === 'all' ? undefined : Math.max(...checks.keys());
    let connection;
    try {
      connection = await this.runs.connectionFor(document);
    } catch (error) {
      for (const item of checks.values()) run.errored(item, new vscode.TestMessage((error as Error).message));
      return;
    }
    if (!connection) {
      for (const item of checks.values()) run.skipped(item);
      return;
    }
    run.appendOutput(output([vscode.l10n.t('{0} on {1} ({2})', file.label, connection.profile.name, `${connection.profile.host}:${connection.profile.port}`)]));
    // A PUBLISH or SUBSCRIBE that fails ends the run: the check after it says why.
    let before: BlockResult | undefined;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'blockStarted') {
        const item = checks.get(event.index);
        if (item) run.started(item);
        return;
      }
      const result = event.result;
      const block = parsed.blocks[result.index];
      const item = checks.get(result.index);
      const location = block && file.uri ? new vscode.Location(file.uri, toRange(block)) : undefined;
      // Without a location: with one, VS Code would write each line into the editor too, beside the lens's own result.
      run.appendOutput(output([`${resultLine(result)}  ${result.label}`, ...detailLines(result).map((line) => `    ${line.replace(/\n/g, '\n    ')}`)]), undefined, item);
      if (!item) {
        if (result.status === 'failed' || result.status === 'error') before = result;
        return;
      }
      this.report(run, item, result, location, before);
    };
    try {
      const result = await this.runs.run({ document, connection, selection: upTo === undefined ? {} : { upTo }, onEvent, token });
      const ms = Math.round(result.durationMs);
      run.appendOutput(output([result.passed ? vscode.l10n.t('passed in {0} ms', ms) : result.cancelled ? vscode.l10n.t('cancelled in {0} ms', ms) : vscode.l10n.t('failed in {0} ms', ms), '']));
    } catch (error) {
      for (const item of checks.values()) run.errored(item, new vscode.TestMessage(vscode.l10n.t('The run failed: {0}', (error as Error).message)));
    }
  }

  private itemOf(file: vscode.TestItem, block: MqttBlock): vscode.TestItem | undefined {
    let found: vscode.TestItem | undefined;
    file.children.forEach((child) => {
      if (!found && child.range?.start.line === block.range.start.line) found = child;
    });
    return found;
  }

  private report(run: vscode.TestRun, item: vscode.TestItem, result: BlockResult, location: vscode.Location | undefined, before: BlockResult | undefined): void {
    const message = (text: string) => {
      const testMessage = new vscode.TestMessage(text);
      testMessage.location = location;
      return testMessage;
    };
    switch (result.status) {
      case 'passed':
        run.passed(item, result.durationMs);
        return;
      case 'failed': {
        let failure: vscode.TestMessage;
        if (result.expected !== undefined && result.actual !== undefined) {
          failure = vscode.TestMessage.diff(result.message ?? vscode.l10n.t('Failed'), result.expected, result.actual);
          failure.location = location;
        } else failure = message(result.message ?? vscode.l10n.t('Failed'));
        run.failed(item, failure, result.durationMs);
        return;
      }
      case 'error':
        run.errored(item, message(result.message ?? vscode.l10n.t('Could not run')), result.durationMs);
        return;
      case 'skipped':
        // Skipped because a block before it failed: that is this check's error, with the block's reason.
        if (before) {
          const reason = before.message ?? describeStatus(before.status);
          run.errored(item, message(before.status === 'error' ? vscode.l10n.t('"{0}" before it could not run: {1}', before.label, reason) : vscode.l10n.t('"{0}" before it failed: {1}', before.label, reason)));
        }
        else run.skipped(item);
        return;
    }
  }
}
