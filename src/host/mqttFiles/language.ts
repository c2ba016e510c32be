/**
 * Language support for `.mqtt` message files (docs/mqtt-files.md): diagnostics as typed,
 * completion, hovers with live values, CodeLens that publish a block through the explorer's one
 * publish path, the file's connection, and each run's result after its block and in the log.
 * REQUEST, SUBSCRIBE and EXPECT are run by a BlockRunner plugged in from outside.
 */
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConnectionRegistry } from '../engine/connectionRegistry';
import { RestrictedModeError, type RemoteConnection } from '../engine/engineClient';
import { publishDraft, type PublishHistory } from '../publishFlow';
import { manageTrustButton } from '../workspaceTrust';
import { describeStateKind } from '../connectionsView';
import { Disposable } from '../../shared/dispose';
import { encodePayload } from '../../shared/publish';
import {
  blockAt,
  blockLabel,
  checkVariables,
  ENVIRONMENT_FILE_NAME,
  environmentSources,
  MAX_ENVIRONMENT_FILE_CHARS,
  parseEnvironmentFile,
  parseMqttFile,
  readVariablesSetting,
  resolveBlock,
  toPublishDraft,
  VariableResolver,
  type BlockKind,
  type EnvironmentFile,
  type MqttFileDiagnostic,
  type MqttFileDocument,
  type Range,
  type VariableSources,
} from '../../shared/mqttFiles';
import { completionContext, findConnection, markdownText, headerNameSuggestions, headerValueSuggestions, keywordSuggestions, outcomeText, referenceAt, schemaRefusal, topicHoverText, variableHoverText, variableSuggestions, type BlockOutcome, type Suggestion } from './assist';
import { confinedReader } from '../../runner/confinedFiles';
import { MAX_RUN_FILE_BYTES } from '../../runner/types';

export const MQTT_LANGUAGE = 'mqtt';
/** Diagnostics wait this long after the last keystroke. */
const DIAGNOSTICS_DELAY_MS = 250;
/** Blocks whose JSON body is checked against its topic's schema in one diagnostics pass (each is a request to the engine). */
const MAX_SCHEMA_CHECKED_BLOCKS = 200;
/** Known topics completion offers. */
const OFFERED_TOPICS = 2000;

/**
 * Runs REQUEST, SUBSCRIBE and EXPECT blocks. Once one is plugged in (setRunner), blocks of its
 * kinds get a lens ("Send request" on REQUEST, "Run" on SUBSCRIBE and EXPECT) that calls the
 * command `mqttExplorer.runMqttBlock` with `(uri: vscode.Uri, blockIndex: number)`; the runner
 * registers that command, and gets the file's connection, variables and result line from
 * MqttFileServices.
 */
export interface BlockRunner {
  readonly kinds: readonly BlockKind[];
}

/** What a runner uses of the language support. */
export interface MqttFileServices {
  /** The parsed file (cached per version). */
  parsed(document: vscode.TextDocument): MqttFileDocument;
  /** `# @connection`, else the one chosen for this file in this session, else asked for (undefined: cancelled). Throws when the named connection does not exist. */
  connectionFor(document: vscode.TextDocument): Promise<RemoteConnection | undefined>;
  /** The variables from mqtt.env.json (the chosen environment) and settings; throws when the chosen environment does not exist. */
  variableSources(uri: vscode.Uri): Promise<VariableSources>;
  /** Shows the line after the block and writes it to the log. */
  showOutcome(uri: vscode.Uri, blockIndex: number, outcome: BlockOutcome): void;
  /** Shows `text` after the block while it runs (`… waiting for the reply`), until showOutcome. */
  showPending(uri: vscode.Uri, blockIndex: number, text: string): void;
  /** Whether blocks may run: not in Restricted Mode. */
  readonly canRun: boolean;
}

export interface MqttFilesDeps {
  registry: ConnectionRegistry;
  history: PublishHistory;
  log: vscode.LogOutputChannel;
  /** Fires when the engine has a new set of JSON Schemas: the bodies are checked again. */
  onDidChangeSchemas?: (listener: () => void) => { dispose(): void };
}

function toRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

function toDiagnostic(problem: MqttFileDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(problem.range), problem.message, problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  diagnostic.source = 'mqtt';
  diagnostic.code = problem.code;
  return diagnostic;
}

function isMqtt(document: vscode.TextDocument): boolean {
  return document.languageId === MQTT_LANGUAGE;
}

/** What a `{{…}}`-free `# @connection` says, or its variables filled in (file variables and the sources). */
function connectionText(document: MqttFileDocument, sources: VariableSources): string | undefined {
  const named = document.connection?.text;
  if (named === undefined || !named.includes('{{')) return named;
  const resolved = new VariableResolver(document.variables, [], sources).resolve(named);
  return 'value' in resolved ? resolved.value : undefined;
}

interface Shown {
  text: string;
  /** undefined: still running. */
  ok: boolean | undefined;
  label: string;
}

export class MqttFiles extends Disposable implements MqttFileServices {
  private readonly diagnostics = this.register(vscode.languages.createDiagnosticCollection('mqtt'));
  private readonly cache = new Map<string, { version: number; document: MqttFileDocument }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Connections chosen for files without `# @connection`, by document URI, for this session. */
  private readonly chosen = new Map<string, string>();
  /** Results shown after blocks, by document and block index, with the block's label to follow it when blocks are added above. */
  private readonly outcomes = new Map<string, Map<number, Shown>>();
  /** Environment files with diagnostics shown, so that a fixed one is cleared. */
  private readonly environmentFiles = new Set<string>();
  private readonly lensEmitter = this.register(new vscode.EventEmitter<void>());
  private runner: BlockRunner | undefined;
  private readonly passed = this.register(vscode.window.createTextEditorDecorationType({ after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('testing.iconPassed') } }));
  private readonly failed = this.register(vscode.window.createTextEditorDecorationType({ after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('testing.iconFailed') } }));
  private readonly pending = this.register(vscode.window.createTextEditorDecorationType({ after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('descriptionForeground') } }));

  constructor(private readonly deps: MqttFilesDeps) {
    super();
    const selector: vscode.DocumentSelector = { language: MQTT_LANGUAGE };
    this.register(vscode.languages.registerCodeLensProvider(selector, { provideCodeLenses: (document) => this.codeLenses(document), onDidChangeCodeLenses: this.lensEmitter.event }));
    this.register(vscode.languages.registerCompletionItemProvider(selector, { provideCompletionItems: (document, position) => this.complete(document, position) }, '{', ' ', ':', '/', '$'));
    this.register(vscode.languages.registerHoverProvider(selector, { provideHover: (document, position) => this.hover(document, position) }));
    this.register(vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)));
    this.register(vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document)));
    this.register(
      vscode.workspace.onDidCloseTextDocument((document) => {
        const key = document.uri.toString();
        this.diagnostics.delete(document.uri);
        this.cache.delete(key);
        this.outcomes.delete(key);
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
      }),
    );
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.decorateAll()));
    const recheckAll = () => {
      for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
      this.lensEmitter.fire();
    };
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(`**/${ENVIRONMENT_FILE_NAME}`));
    this.register(watcher.onDidChange(recheckAll));
    this.register(watcher.onDidCreate(recheckAll));
    this.register(watcher.onDidDelete(recheckAll));
    this.register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('mqttExplorer.messageFiles')) recheckAll();
      }),
    );
    // A connection named by a file may come and go; its state shows in the lens.
    this.register(deps.registry.onDidChange(recheckAll));
    if (deps.onDidChangeSchemas) this.register(deps.onDidChangeSchemas(() => recheckAll()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.lensEmitter.fire()));
    this.register({ dispose: () => this.timers.forEach((timer) => clearTimeout(timer)) });
    this.register(vscode.commands.registerCommand('mqttExplorer.publishMqttBlock', (uri?: unknown, index?: unknown) => this.publishCommand(uri, index)));
    this.register(vscode.commands.registerCommand('mqttExplorer.chooseMqttFileConnection', (uri?: unknown) => this.chooseCommand(uri)));
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  get canRun(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Plugs in the runner of REQUEST, SUBSCRIBE and EXPECT blocks: their lenses show until the returned Disposable is disposed. */
  setRunner(runner: BlockRunner): vscode.Disposable {
    this.runner = runner;
    this.lensEmitter.fire();
    return new vscode.Disposable(() => {
      if (this.runner === runner) this.runner = undefined;
      this.lensEmitter.fire();
    });
  }

  parsed(document: vscode.TextDocument): MqttFileDocument {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.document;
    const parsed = parseMqttFile(document.getText());
    this.cache.set(key, { version: document.version, document: parsed });
    return parsed;
  }

  // ---------------------------------------------------------------------------------------------
  // Variables and diagnostics

  /** The nearest mqtt.env.json: in the file's folder, else each parent up to the workspace folder. */
  private async environmentFile(uri: vscode.Uri): Promise<{ uri: vscode.Uri; file: EnvironmentFile } | undefined> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return undefined;
    let directory = vscode.Uri.joinPath(uri, '..');
    for (let depth = 0; depth < 64; depth++) {
      const candidate = vscode.Uri.joinPath(directory, ENVIRONMENT_FILE_NAME);
      const stat = await Promise.resolve(vscode.workspace.fs.stat(candidate)).catch(() => undefined);
      if (stat && stat.type & vscode.FileType.File) {
        // Not read at all when even its bytes are past the cap (UTF-8 takes up to 4 per character).
        if (stat.size > MAX_ENVIRONMENT_FILE_CHARS * 4) {
          const at = { line: 0, character: 0 };
          const message = vscode.l10n.t('{0} is larger than {1} MiB and is not read.', ENVIRONMENT_FILE_NAME, MAX_ENVIRONMENT_FILE_CHARS / 1024 / 1024);
          return { uri: candidate, file: { shared: new Map(), environments: new Map(), diagnostics: [{ severity: 'error', code: 'bad-variable', message, range: { start: at, end: at } }] } };
        }
        const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === candidate.toString());
        const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(candidate));
        return { uri: candidate, file: parseEnvironmentFile(text) };
      }
      if (directory.path === folder.uri.path || directory.path === '/' || !directory.path.startsWith(folder.uri.path)) return undefined;
      directory = vscode.Uri.joinPath(directory, '..');
    }
    return undefined;
  }

  private settingsVariables(uri: vscode.Uri): { environment: string; variables: Map<string, string>; problems: string[] } {
    const configuration = vscode.workspace.getConfiguration('mqttExplorer.messageFiles', uri);
    const environment = configuration.get<unknown>('environment');
    const { variables, problems } = readVariablesSetting(configuration.get<unknown>('variables'));
    return { environment: typeof environment === 'string' ? environment.trim() : '', variables, problems };
  }

  /** The sources, or why the chosen environment cannot be used (with `$shared` and settings still given). */
  private async sourcesWithProblem(uri: vscode.Uri): Promise<{ sources: VariableSources; problem?: string; environmentFile?: { uri: vscode.Uri; file: EnvironmentFile }; settingProblems: string[] }> {
    const found = await this.environmentFile(uri).catch(() => undefined);
    const setting = this.settingsVariables(uri);
    const result = environmentSources(found?.file, setting.environment || undefined, setting.variables);
    if ('sources' in result) return { sources: result.sources, environmentFile: found, settingProblems: setting.problems };
    return { sources: { shared: found?.file.shared, settings: setting.variables }, problem: vscode.l10n.t('{0} (setting mqttExplorer.messageFiles.environment)', result.error), environmentFile: found, settingProblems: setting.problems };
  }

  async variableSources(uri: vscode.Uri): Promise<VariableSources> {
    const { sources, problem } = await this.sourcesWithProblem(uri);
    if (problem) throw new Error(problem);
    return sources;
  }

  private schedule(document: vscode.TextDocument, delay = DIAGNOSTICS_DELAY_MS): void {
    if (document.uri.path.endsWith(`/${ENVIRONMENT_FILE_NAME}`) && document.uri.scheme !== 'git') {
      // An edited environment file changes every open message file's variables.
      for (const other of vscode.workspace.textDocuments) if (isMqtt(other)) this.schedule(other);
      return;
    }
    if (!isMqtt(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.check(document).catch((error: unknown) => this.deps.log.error(`Checking ${document.uri.fsPath}: ${(error as Error).message}`));
      }, delay),
    );
    // Results stay next to their blocks as the text moves.
    this.decorate(document);
  }

  private async check(document: vscode.TextDocument): Promise<void> {
    const version = document.version;
    const parsed = this.parsed(document);
    const { sources, problem, environmentFile, settingProblems } = await this.sourcesWithProblem(document.uri);
    if (document.isClosed || document.version !== version) return;
    const problems = [...parsed.diagnostics, ...checkVariables(parsed, sources)].map(toDiagnostic);
    const top = new vscode.Range(0, 0, 0, document.lineAt(0).text.length);
    if (problem) problems.push(Object.assign(new vscode.Diagnostic(top, problem, vscode.DiagnosticSeverity.Warning), { source: 'mqtt', code: 'unknown-environment' }));
    for (const settingProblem of settingProblems) problems.push(Object.assign(new vscode.Diagnostic(top, `mqttExplorer.messageFiles.variables: ${settingProblem}`, vscode.DiagnosticSeverity.Warning), { source: 'mqtt', code: 'bad-variable' }));
    const named = parsed.connection;
    if (named) {
      const text = connectionText(parsed, sources);
      if (text !== undefined && !this.findNamed(text)) {
        const listed = this.deps.registry.list().map((connection) => `"${connection.profile.name}"`);
        const names = `${listed.slice(0, 5).join(', ')}${listed.length > 5 ? ', …' : ''}`;
        const message = listed.length
          ? vscode.l10n.t('No connection "{0}": name one as the Connections view shows it ({1}), or its id.', text, names)
          : vscode.l10n.t('No connection "{0}": name one as the Connections view shows it, or its id.', text);
        problems.push(
          Object.assign(new vscode.Diagnostic(toRange(named.range), message, vscode.DiagnosticSeverity.Warning), {
            source: 'mqtt',
            code: 'unknown-connection',
          }),
        );
      }
    }
    problems.push(...(await this.schemaProblems(parsed, sources)));
    if (document.isClosed || document.version !== version) return;
    this.diagnostics.set(document.uri, problems);
    if (environmentFile) {
      this.environmentFiles.add(environmentFile.uri.toString());
      this.diagnostics.set(environmentFile.uri, environmentFile.file.diagnostics.map(toDiagnostic));
    }
  }

  /**
   * PUBLISH and REQUEST bodies that the JSON Schema bound to their topic (mqttExplorer.schemas)
   * refuses, checked by the engine as the palette's and the form's drafts are; warnings, since
   * sending an invalid message on purpose is a test too. At most MAX_SCHEMA_CHECKED_BLOCKS a pass.
   */
  private async schemaProblems(parsed: MqttFileDocument, sources: VariableSources): Promise<vscode.Diagnostic[]> {
    const problems: vscode.Diagnostic[] = [];
    let checked = 0;
    for (const block of parsed.blocks) {
      if ((block.kind !== 'publish' && block.kind !== 'request') || block.hasErrors || !block.body) continue;
      if (++checked > MAX_SCHEMA_CHECKED_BLOCKS) break;
      const refusal = await this.schemaRefusalOf(parsed, block.index, sources);
      if (refusal) problems.push(Object.assign(new vscode.Diagnostic(toRange(block.body.range), vscode.l10n.t('Not valid against {0}.', refusal), vscode.DiagnosticSeverity.Warning), { source: 'mqtt', code: 'schema-violation' }));
    }
    return problems;
  }

  /** Why the schema bound to the block's topic refuses its JSON body (filled in), or undefined: valid, not JSON, no schema, or not resolvable now. */
  private async schemaRefusalOf(parsed: MqttFileDocument, index: number, sources: VariableSources, mqttVersion: 4 | 5 = 5): Promise<string | undefined> {
    const resolved = resolveBlock(parsed, parsed.blocks[index], { variables: sources, mqttVersion });
    if (!resolved.ok || (resolved.block.kind !== 'publish' && resolved.block.kind !== 'request')) return undefined;
    const payload = resolved.block.payload;
    if (resolved.block.format !== 'json' || !('text' in payload)) return undefined;
    const reply = await this.deps.registry.engine.request('checkDraft', { topic: resolved.block.topic, json: payload.text }).catch(() => undefined);
    const verdict = reply?.verdict;
    if (!reply?.binding || verdict?.valid !== false) return undefined;
    return schemaRefusal(reply.binding.schema, verdict.errors, verdict.more);
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  private findNamed(text: string): RemoteConnection | undefined {
    const connections = this.deps.registry.list();
    const found = findConnection(
      connections.map((connection) => ({ id: connection.id, name: connection.profile.name })),
      text,
    );
    return found ? this.deps.registry.get(found.id) : undefined;
  }

  /** The file's connection without asking: named, or chosen before in this session. */
  private knownConnection(document: vscode.TextDocument, sources: VariableSources = {}): { connection?: RemoteConnection; named?: string } {
    const parsed = this.parsed(document);
    if (parsed.connection) {
      const text = connectionText(parsed, sources) ?? parsed.connection.text;
      return { connection: this.findNamed(text), named: text };
    }
    const id = this.chosen.get(document.uri.toString());
    return { connection: id ? this.deps.registry.get(id) : undefined };
  }

  async connectionFor(document: vscode.TextDocument): Promise<RemoteConnection | undefined> {
    const sources = await this.variableSources(document.uri).catch(() => ({}));
    const known = this.knownConnection(document, sources);
    if (known.named !== undefined) {
      if (!known.connection) throw new Error(vscode.l10n.t('No connection "{0}" (# @connection): name one as the Connections view shows it, or its id.', known.named));
      return known.connection;
    }
    if (known.connection) return known.connection;
    return this.askConnection(document);
  }

  /** Asks which connection the file uses (connected ones first) and remembers it for the session. */
  private async askConnection(document: vscode.TextDocument): Promise<RemoteConnection | undefined> {
    const connections = this.deps.registry.list();
    if (!connections.length) throw new Error(vscode.l10n.t('There is no connection yet: add one in the Connections view, or start the local broker.'));
    const ordered = [...connections].sort((a, b) => Number(b.state.kind === 'connected') - Number(a.state.kind === 'connected'));
    let picked: RemoteConnection | undefined;
    if (connections.length === 1) picked = connections[0];
    else {
      const item = await vscode.window.showQuickPick(
        ordered.map((connection) => ({ label: connection.profile.name, description: describeStateKind(connection.state.kind), detail: `${connection.profile.host}:${connection.profile.port}`, id: connection.id })),
        {
          title: vscode.l10n.t('MQTT: Connection for {0}', document.uri.path.slice(document.uri.path.lastIndexOf('/') + 1)),
          placeHolder: vscode.l10n.t('Which connection does this file use? (Add "# @connection <name>" at its top to say it in the file.)'),
        },
      );
      picked = item ? this.deps.registry.get(item.id) : undefined;
    }
    if (picked) {
      this.chosen.set(document.uri.toString(), picked.id);
      this.lensEmitter.fire();
    }
    return picked;
  }

  private async chooseCommand(raw: unknown): Promise<void> {
    const uri = raw instanceof vscode.Uri ? raw : vscode.window.activeTextEditor?.document.uri;
    if (!uri) return;
    const document = await vscode.workspace.openTextDocument(uri);
    if (this.parsed(document).connection) {
      void vscode.window.showInformationMessage(vscode.l10n.t('MQTT: This file names its connection with "# @connection": edit that line to use another.'));
      return;
    }
    this.chosen.delete(uri.toString());
    await this.askConnection(document);
  }

  // ---------------------------------------------------------------------------------------------
  // CodeLens

  private codeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const parsed = this.parsed(document);
    if (!parsed.blocks.length) return [];
    const lenses: vscode.CodeLens[] = [];
    const uri = document.uri;
    const { connection, named } = this.knownConnection(document);
    const connectionTitle = connection
      ? `$(plug) ${connection.profile.name} · ${describeStateKind(connection.state.kind)}`
      : named !== undefined
        ? `$(warning) ${vscode.l10n.t('No connection "{0}"', named)}`
        : `$(plug) ${vscode.l10n.t('Choose a connection')}`;
    const connectionLine = parsed.connection?.range.start.line ?? parsed.blocks[0].range.start.line;
    lenses.push(
      new vscode.CodeLens(new vscode.Range(connectionLine, 0, connectionLine, 0), {
        title: connectionTitle,
        command: 'mqttExplorer.chooseMqttFileConnection',
        arguments: [uri],
        tooltip: parsed.connection ? vscode.l10n.t('Named by # @connection in this file') : vscode.l10n.t('The connection this file uses in this session: click to choose another'),
      }),
    );
    for (const block of parsed.blocks) {
      const at = new vscode.Range(block.range.start.line, 0, block.range.start.line, 0);
      const runs = block.kind === 'publish' || this.runner?.kinds.includes(block.kind);
      if (!runs) continue;
      if (!this.canRun) {
        lenses.push(new vscode.CodeLens(at, { title: `$(shield) ${vscode.l10n.t('Trust the folder to run')}`, command: 'workbench.trust.manage', tooltip: vscode.l10n.t('Restricted Mode: message files are not run in a folder you have not trusted.') }));
        continue;
      }
      if (block.hasErrors) {
        lenses.push(new vscode.CodeLens(at, { title: `$(error) ${vscode.l10n.t('Fix the problems to run')}`, command: 'workbench.actions.view.problems', tooltip: vscode.l10n.t('This block has errors (see the Problems view).') }));
        continue;
      }
      if (block.kind === 'publish') {
        lenses.push(new vscode.CodeLens(at, { title: `$(send) ${vscode.l10n.t('Publish')}`, command: 'mqttExplorer.publishMqttBlock', arguments: [uri, block.index], tooltip: vscode.l10n.t('Publish "{0}"', blockLabel(block)) }));
      } else {
        const title = block.kind === 'request' ? `$(send) ${vscode.l10n.t('Send request')}` : `$(play) ${vscode.l10n.t('Run')}`;
        lenses.push(new vscode.CodeLens(at, { title, command: 'mqttExplorer.runMqttBlock', arguments: [uri, block.index], tooltip: vscode.l10n.t('Run "{0}"', blockLabel(block)) }));
      }
    }
    return lenses;
  }

  // ---------------------------------------------------------------------------------------------
  // Publishing

  private async publishCommand(rawUri: unknown, rawIndex: unknown): Promise<BlockOutcome | undefined> {
    const uri = rawUri instanceof vscode.Uri ? rawUri : typeof rawUri === 'string' ? vscode.Uri.parse(rawUri) : vscode.window.activeTextEditor?.document.uri;
    if (!uri) return undefined;
    const document = await vscode.workspace.openTextDocument(uri);
    const parsed = this.parsed(document);
    const index = typeof rawIndex === 'number' ? rawIndex : vscode.window.activeTextEditor?.document === document ? blockAt(parsed, vscode.window.activeTextEditor.selection.active.line)?.index : undefined;
    const block = index === undefined ? undefined : parsed.blocks[index];
    if (!block || block.kind !== 'publish') {
      void vscode.window.showWarningMessage(vscode.l10n.t('MQTT: Put the cursor in a PUBLISH block of a .mqtt file to publish it.'));
      return undefined;
    }
    if (!this.canRun) {
      const message = vscode.l10n.t('Restricted Mode: message files are not run in a folder you have not trusted. Trust the folder to run them.');
      this.showOutcome(uri, block.index, { ok: false, message });
      const manageTrust = manageTrustButton();
      void vscode.window.showWarningMessage(vscode.l10n.t('MQTT: {0}', message), manageTrust).then((choice) => choice === manageTrust && vscode.commands.executeCommand('workbench.trust.manage'));
      return { ok: false, message };
    }
    let connection: RemoteConnection | undefined;
    try {
      connection = await this.connectionFor(document);
    } catch (error) {
      const outcome: BlockOutcome = { ok: false, message: (error as Error).message };
      this.showOutcome(uri, block.index, outcome);
      return outcome;
    }
    if (!connection) return undefined;
    this.showPending(uri, block.index, vscode.l10n.t('… publishing on {0}', connection.profile.name));
    const started = performance.now();
    let outcome: BlockOutcome;
    try {
      outcome = await this.publishBlock(document, parsed, block.index, connection, started);
    } catch (error) {
      const message = error instanceof RestrictedModeError ? error.message : (error as Error).message;
      outcome = { ok: false, message };
    }
    this.showOutcome(uri, block.index, outcome);
    return outcome;
  }

  /** Resolves the block (fresh built-ins) and publishes it through the explorer's publish path. */
  private async publishBlock(document: vscode.TextDocument, parsed: MqttFileDocument, index: number, connection: RemoteConnection, started: number): Promise<BlockOutcome> {
    const block = parsed.blocks[index];
    const sources = await this.variableSources(document.uri);
    const resolved = resolveBlock(parsed, block, { variables: sources, mqttVersion: connection.profile.mqttVersion });
    if (!resolved.ok) {
      const [first] = resolved.errors;
      const line = first.range.start.line + 1;
      const more = resolved.errors.length - 1;
      return { ok: false, message: more > 0 ? vscode.l10n.t('{0} (line {1}) and {2} more problems', first.message, line, more) : vscode.l10n.t('{0} (line {1})', first.message, line) };
    }
    for (const warning of resolved.warnings) this.deps.log.warn(`${document.uri.fsPath}:${warning.range.start.line + 1}: ${warning.message}`);
    if (resolved.block.kind !== 'publish') return { ok: false, message: vscode.l10n.t('Not a PUBLISH block.') };
    const published = resolved.block;
    if (connection.state.kind === 'disconnected' || connection.state.kind === 'failed') await connection.connect();
    if ('file' in published.payload) {
      const folder = vscode.workspace.getWorkspaceFolder(document.uri);
      if (!folder || document.uri.scheme !== 'file' || folder.uri.scheme !== 'file') throw new Error(vscode.l10n.t('A body file (< path) is read from a workspace folder on this machine: open the folder that holds this .mqtt file.'));
      const bytes = await confinedReader(dirname(document.uri.fsPath), folder.uri.fsPath)(published.payload.file, MAX_RUN_FILE_BYTES);
      // As "Publish File": the file's bytes as they are.
      if (connection.state.kind !== 'connected') throw new Error(vscode.l10n.t('{0} is not connected.', connection.profile.name));
      const result = await connection.publish(published.topic, bytes, { qos: published.qos, retain: published.retain, properties: Object.keys(published.properties).length ? published.properties : undefined });
      return { ok: true, kind: 'publish', qos: published.qos, result, ms: Math.round(performance.now() - started), bytes: bytes.length };
    }
    const draft = toPublishDraft(published)!;
    const encoded = encodePayload(draft.payload, draft.format);
    // Checked before sending, as the palette and the form check a draft; sent anyway, and said so.
    const notValid = await this.schemaRefusalOf(parsed, index, sources, connection.profile.mqttVersion);
    const result = await publishDraft(this.deps.registry, this.deps.history, connection.id, draft);
    return { ok: true, kind: 'publish', qos: published.qos, result, ms: Math.round(performance.now() - started), ...('bytes' in encoded ? { bytes: encoded.bytes.length } : {}), ...(notValid ? { notValid } : {}) };
  }

  // ---------------------------------------------------------------------------------------------
  // Results after the blocks

  showOutcome(uri: vscode.Uri, blockIndex: number, outcome: BlockOutcome): void {
    const text = outcomeText(outcome);
    const ok = 'text' in outcome ? outcome.ok : outcome.ok;
    this.setOutcome(uri, blockIndex, { text, ok });
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    const block = document ? this.parsed(document).blocks[blockIndex] : undefined;
    const where = `${uri.path.slice(uri.path.lastIndexOf('/') + 1)}${block ? `:${block.range.start.line + 1} "${blockLabel(block)}"` : ''}`;
    if (ok) this.deps.log.info(`${where}: ${text}`);
    else this.deps.log.error(`${where}: ${text}`);
  }

  showPending(uri: vscode.Uri, blockIndex: number, text: string): void {
    this.setOutcome(uri, blockIndex, { text, ok: undefined });
  }

  private setOutcome(uri: vscode.Uri, blockIndex: number, value: { text: string; ok: boolean | undefined }): void {
    const key = uri.toString();
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === key);
    const block = document ? this.parsed(document).blocks[blockIndex] : undefined;
    const map = this.outcomes.get(key) ?? new Map<number, Shown>();
    map.set(blockIndex, { ...value, label: block ? blockLabel(block) : '' });
    this.outcomes.set(key, map);
    if (document) this.decorate(document);
  }

  private decorateAll(): void {
    for (const editor of vscode.window.visibleTextEditors) if (isMqtt(editor.document)) this.decorate(editor.document);
  }

  private decorate(document: vscode.TextDocument): void {
    const outcomes = this.outcomes.get(document.uri.toString());
    // Nothing shown in this file: no parse at each keystroke.
    if (!outcomes?.size) return;
    const editors = vscode.window.visibleTextEditors.filter((editor) => editor.document === document);
    if (!editors.length) return;
    const parsed = this.parsed(document);
    const groups: Record<'passed' | 'failed' | 'pending', vscode.DecorationOptions[]> = { passed: [], failed: [], pending: [] };
    for (const [index, outcome] of outcomes) {
      // The block at that index, or the block with its label once blocks were added or removed above it; gone: not shown.
      const atIndex = parsed.blocks[index];
      const block = atIndex && blockLabel(atIndex) === outcome.label ? atIndex : parsed.blocks.find((candidate) => blockLabel(candidate) === outcome.label);
      if (!block) continue;
      const line = block.range.end.line;
      const end = document.lineAt(line).range.end;
      const group = outcome.ok === undefined ? 'pending' : outcome.ok ? 'passed' : 'failed';
      groups[group].push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: outcome.text } } });
    }
    for (const editor of editors) {
      editor.setDecorations(this.passed, groups.passed);
      editor.setDecorations(this.failed, groups.failed);
      editor.setDecorations(this.pending, groups.pending);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Completion and hover

  private async complete(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | vscode.CompletionList | undefined> {
    const context = completionContext((line) => document.lineAt(line).text, document.lineCount, position.line, position.character);
    if (!context) return undefined;
    const range = new vscode.Range(position.line, context.start, position.line, position.character);
    const items = (suggestions: Suggestion[], kind: vscode.CompletionItemKind) =>
      suggestions.map((suggestion) => {
        const item = new vscode.CompletionItem(suggestion.label, kind);
        item.insertText = suggestion.snippet ? new vscode.SnippetString(suggestion.insert ?? suggestion.label) : (suggestion.insert ?? suggestion.label);
        item.range = range;
        if (suggestion.detail) item.detail = suggestion.detail;
        if (suggestion.documentation) item.documentation = suggestion.documentation;
        if (suggestion.sort) item.sortText = suggestion.sort;
        return item;
      });
    switch (context.kind) {
      case 'keyword':
        return items(keywordSuggestions(), vscode.CompletionItemKind.Keyword);
      case 'header-name':
        return items(headerNameSuggestions(context.blockKind, context.present), vscode.CompletionItemKind.Property);
      case 'header-value':
        return items(headerValueSuggestions(context.header, context.blockKind), vscode.CompletionItemKind.Value);
      case 'variable': {
        const parsed = this.parsed(document);
        const sources = await this.sourcesWithProblem(document.uri).then(({ sources: found }) => found);
        // `}}` typed already after the cursor is not doubled.
        const closed = document.lineAt(position.line).text.slice(position.character).startsWith('}}');
        return items(
          variableSuggestions(parsed, blockAt(parsed, position.line), sources).map((suggestion) => (closed && suggestion.insert ? { ...suggestion, insert: suggestion.insert.replace(/\}\}$/, '') } : suggestion)),
          vscode.CompletionItemKind.Variable,
        );
      }
      case 'connection':
        return items(
          this.deps.registry.list().map((connection) => ({ label: connection.profile.name, detail: `${connection.profile.host}:${connection.profile.port} · ${describeStateKind(connection.state.kind)}` })),
          vscode.CompletionItemKind.Reference,
        );
      case 'topic': {
        const { connection } = this.knownConnection(document, await this.variableSources(document.uri).catch(() => ({})));
        const topics = await this.deps.registry.engine.request('topicList', { limit: OFFERED_TOPICS, ...(connection ? { connectionId: connection.id } : {}) }).catch(() => []);
        const seen = new Set<string>();
        const suggestions: Suggestion[] = [];
        for (const topic of topics) {
          if (seen.has(topic.topic)) continue;
          seen.add(topic.topic);
          const count = topic.messageCount === 1 ? vscode.l10n.t('1 message') : vscode.l10n.t('{0} messages', topic.messageCount);
          suggestions.push({ label: topic.topic, detail: `${count}${connection ? '' : ` · ${this.deps.registry.get(topic.connectionId)?.profile.name ?? ''}`}` });
        }
        // More topics than offered: VS Code asks again as the topic is typed.
        return new vscode.CompletionList(items(suggestions, vscode.CompletionItemKind.Reference), topics.length >= OFFERED_TOPICS);
      }
    }
  }

  private async hover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const parsed = this.parsed(document);
    const block = blockAt(parsed, position.line);
    const lineText = document.lineAt(position.line).text;
    const reference = referenceAt(lineText, position.character);
    const sources = await this.variableSources(document.uri).catch(() => this.sourcesWithProblem(document.uri).then(({ sources: found }) => found));
    if (reference) {
      const range = new vscode.Range(position.line, reference.start, position.line, reference.end);
      return new vscode.Hover(new vscode.MarkdownString(variableHoverText(parsed, block, sources, reference)), range);
    }
    if (!block || !toRange(block.topic.range).contains(position) || !block.topic.text) return undefined;
    const resolved = new VariableResolver(parsed.variables, block.variables, sources, { now: () => 0, random: () => 0 }).resolve(block.topic.text);
    if ('failure' in resolved) return new vscode.Hover(resolved.failure.message, toRange(block.topic.range));
    const topic = resolved.value;
    const { connection } = this.knownConnection(document, sources);
    const candidates = connection ? [connection] : this.deps.registry.list().filter((candidate) => candidate.state.kind === 'connected');
    if (/(^|\/)[+#](\/|$)/.test(topic)) {
      // A wildcard in a PUBLISH or REQUEST topic is a problem, which its diagnostic explains.
      if (block.kind === 'publish' || block.kind === 'request') return undefined;
      return new vscode.Hover(new vscode.MarkdownString().appendText(vscode.l10n.t('{0}: a filter (it matches topics; hover a topic without wildcards for its value).', topic)), toRange(block.topic.range));
    }
    const parts: string[] = [];
    for (const candidate of candidates.slice(0, 5)) {
      const node = await this.deps.registry.engine.request('node', { connectionId: candidate.id, topic, history: 0 }).catch(() => undefined);
      if (!connection && !node) continue;
      parts.push(topicHoverText(topic, candidate.profile.name, node?.snapshot, Date.now()));
    }
    if (!parts.length) parts.push(`**${markdownText(topic)}**\n\n${candidates.length ? vscode.l10n.t('No message seen on this topic yet.') : vscode.l10n.t('No connection is connected: connect to see its last value.')}`);
    const markdown = new vscode.MarkdownString(parts.join('\n\n---\n\n'));
    markdown.supportHtml = false;
    markdown.isTrusted = false;
    return new vscode.Hover(markdown, toRange(block.topic.range));
  }
}
