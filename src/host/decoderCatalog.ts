import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import { readDecoderBindings, type DecoderBinding } from '../shared/decoderBindings';
import { bindingReferenceErrors, DECODERS_SETTING, MAX_SCHEMA_FILE_BYTES, MAX_SCHEMA_FILES, MAX_SCHEMA_TOTAL_BYTES, withBindingFirst } from '../shared/decoderFiles';
import type { DecodersSet } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { SETTINGS_SECTION } from '../shared/settings';
import type { EngineClient } from './engine/engineClient';
import { messageOf, plural, SettingFilesCatalog, type CatalogFiles, type CatalogOptions, type CatalogProblems, type CatalogSet } from './settingFilesCatalog';
import { readText } from './workspaceText';

/** Where "Decode As…" writes a binding: the folder's settings (shared with the team) or the user's. */
export type BindingTarget = 'workspace' | 'user';

export type DecoderCatalogOptions = CatalogOptions;

const SCHEMA_GLOB = '**/*.{proto,avsc}';
const SCHEMA_EXCLUDE = '**/{node_modules,.git}/**';
/** How long addBinding waits for VS Code to hand the written value back. */
const SETTING_ARRIVES_MS = 5000;
const KEY = DECODERS_SETTING.slice(SETTINGS_SECTION.length + 1);

/** The workspace's schema files as read for one set. */
interface SchemaFiles extends CatalogFiles {
  /** Files not read (too big, not a regular file, unreadable), one sentence each. */
  problems: { file: string; error: string }[];
  /** Problems of the files as a whole (too many, too big together). */
  errors: string[];
}

type SentSet = CatalogSet<DecoderBinding, SchemaFiles>;

const NO_FILES = (read: boolean): SchemaFiles => ({ texts: {}, uris: new Map(), problems: [], errors: [], read });

/**
 * The decoders' host side (a SettingFilesCatalog): the `mqttExplorer.decoders` setting and the
 * workspace's `.proto` and `.avsc` files, sent to the engine (`setDecoders`); a schema file's
 * problems on that file, a binding's on the settings file. "Decode As…" writes bindings.
 *
 * Restricted Mode: the folder's schema files are not read (not even found); trusting the folder
 * loads them.
 *
 * Multi-root workspaces: every folder's files are read, each named with its folder's name first
 * ("backend/proto/sensors.proto", as VS Code's asRelativePath names them), so a binding's `schema`
 * names the folder too; with one folder the path is relative to it.
 */
export class DecoderCatalog extends SettingFilesCatalog<DecoderBinding, SchemaFiles, DecodersSet> {
  private watcher: vscode.FileSystemWatcher | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(engine: EngineClient, log: vscode.LogOutputChannel, options: DecoderCatalogOptions = {}) {
    // l10n-ignore: the label names the catalog in log lines only
    super(engine, log, { setting: DECODERS_SETTING, label: 'Decoders', notice: vscode.l10n.t('MQTT decoders') }, options);
    this.register({ dispose: () => this.watcher?.dispose() });
    this.watch();
    this.start();
  }

  /** Full names of the Protobuf message types the engine loaded, in name order (for a "Decode As…" picker). */
  get messageTypes(): readonly string[] {
    return this.answered?.result.messageTypes ?? [];
  }

  /** The schema files sent with that set (workspace-relative paths, in name order): the .avsc files an Avro binding can name. */
  get schemaFiles(): readonly string[] {
    return Object.keys(this.answered?.set.files.texts ?? {});
  }

  /** Whether addBinding can write to the folder's settings: a folder is open and trusted. */
  get canWriteWorkspace(): boolean {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 0 && vscode.workspace.isTrusted;
  }

  /**
   * Writes `binding` to the front of the setting's list at `target` (the first binding that matches a
   * topic wins), replacing an entry for the same topic filter there, and resolves once the engine has
   * the new set. Throws (a sentence for the user) when the binding is not valid, when `target` is
   * 'workspace' with no trusted folder open, when the list there is not a list, or when it would
   * hold more than MAX_DECODER_BINDINGS. `effective` is false for a user binding while the folder's
   * settings set the list: VS Code then uses the folder's list, which replaces the user's.
   */
  addBinding(binding: DecoderBinding, target: BindingTarget): Promise<{ effective: boolean }> {
    const write = this.writing.then(() => this.write(binding, target));
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(binding: DecoderBinding, target: BindingTarget): Promise<{ effective: boolean }> {
    if (target === 'workspace' && !this.canWriteWorkspace) {
      throw new Error(
        vscode.workspace.workspaceFolders?.length
          ? vscode.l10n.t('The folder is not trusted: its settings cannot take a decoder binding. Add it to your user settings, or trust the folder.')
          : vscode.l10n.t('No folder is open: add the decoder binding to your user settings.'),
      );
    }
    const configuration = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const valueAt = () => {
      const inspected = configuration().inspect<unknown>(KEY);
      return target === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue;
    };
    const next = withBindingFirst(valueAt(), binding);
    const arrived = this.settingArrives(() => isDeepStrictEqual(valueAt(), next));
    await configuration().update(KEY, next, target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
    await arrived;
    this.schedule(0);
    await this.ready();
    return { effective: target === 'workspace' || !vscode.workspace.isTrusted || configuration().inspect<unknown>(KEY)?.workspaceValue === undefined };
  }

  /** Resolves when `holds` is true: at once, at a configuration change, or after SETTING_ARRIVES_MS whatever it says. */
  private settingArrives(holds: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      };
      const timer = setTimeout(done, SETTING_ARRIVES_MS);
      const listener = vscode.workspace.onDidChangeConfiguration(() => {
        if (holds()) done();
      });
      if (holds()) done();
    });
  }

  /** Watches the folders' schema files, once trusted (an untrusted folder's files are not read). */
  private watch(): void {
    if (this.watcher || !vscode.workspace.isTrusted || this.isDisposed) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(SCHEMA_GLOB);
    const changed = (uri: vscode.Uri) => {
      if (!/\/(?:node_modules|\.git)\//.test(uri.path)) this.schedule();
    };
    this.watcher.onDidCreate(changed);
    this.watcher.onDidChange(changed);
    this.watcher.onDidDelete(changed);
  }

  /** Finds and reads the workspace's schema files within the engine's caps; `stale`: a newer reload started. */
  protected async readFiles(_value: unknown, stale: () => boolean): Promise<SchemaFiles> {
    const files = NO_FILES(true);
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) return files;
    const found = await vscode.workspace.findFiles(SCHEMA_GLOB, SCHEMA_EXCLUDE, MAX_SCHEMA_FILES + 1);
    if (found.length > MAX_SCHEMA_FILES) {
      files.errors.push(vscode.l10n.t('schema files: more than {0} .proto and .avsc files in the workspace (outside node_modules and .git), the most that are read: none loaded', MAX_SCHEMA_FILES));
      return files;
    }
    const named = found
      .map((uri) => ({ uri, path: vscode.workspace.asRelativePath(uri, folders.length > 1).replace(/\\/g, '/') }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    let total = 0;
    for (const { uri, path } of named) {
      if (stale()) return files;
      if (files.uris.has(path)) {
        // Two folders of the same name in one workspace.
        files.problems.push({ file: path, error: vscode.l10n.t('{0}: another file of the workspace has the same name: not loaded', path) });
        continue;
      }
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch {
        continue; // Deleted since it was found: the watcher brings another reload.
      }
      files.uris.set(path, uri);
      if (!(stat.type & vscode.FileType.File)) {
        files.problems.push({ file: path, error: vscode.l10n.t('{0}: not a regular file: not loaded', path) });
        continue;
      }
      if (stat.size > MAX_SCHEMA_FILE_BYTES) {
        files.problems.push({ file: path, error: vscode.l10n.t('{0}: {1}, more than the {2} a schema file may have: not loaded', path, formatBytes(stat.size), formatBytes(MAX_SCHEMA_FILE_BYTES)) });
        continue;
      }
      let text: string;
      try {
        text = await readText(uri, MAX_SCHEMA_FILE_BYTES);
      } catch (error) {
        files.problems.push({ file: path, error: vscode.l10n.t('{0}: {1}: not loaded', path, messageOf(error)) });
        continue;
      }
      total += Buffer.byteLength(text, 'utf8');
      if (total > MAX_SCHEMA_TOTAL_BYTES) {
        files.errors.push(vscode.l10n.t('schema files: more than {0} of .proto and .avsc files together, the most that are read: none loaded', formatBytes(MAX_SCHEMA_TOTAL_BYTES)));
        files.texts = {};
        return files;
      }
      files.texts[path] = text;
    }
    return files;
  }

  protected override trustGranted(): void {
    this.watch();
  }

  protected noFiles(): SchemaFiles {
    return NO_FILES(false);
  }

  protected bindingsOf(value: unknown): DecoderBinding[] {
    return readDecoderBindings(value).bindings;
  }

  protected request(set: SentSet): Promise<DecodersSet> {
    return this.engine.request('setDecoders', { bindings: set.value, files: set.files.texts });
  }

  protected problems(set: SentSet, result: DecodersSet): CatalogProblems {
    // The files' caps explain a missing type better than one error per binding.
    const references = set.files.errors.length
      ? []
      : bindingReferenceErrors(set.value, { files: new Set(set.files.uris.keys()), messageTypes: new Set(result.messageTypes), filesRead: set.files.read });
    return { files: [...set.files.problems, ...result.schemaErrors], setting: [...set.files.errors, ...result.errors, ...references] };
  }

  // A line of the output channel: English, as every log line.
  protected summary(set: SentSet, result: DecodersSet, problems: number): string {
    const files = Object.keys(set.files.texts).length;
    return `Decoders: ${plural(set.bindings.length, 'binding')}, ${plural(files, 'schema file')}${set.files.read ? '' : " (Restricted Mode: the folder's files are not read)"}, ${plural(result.messageTypes.length, 'Protobuf message type')}; ${plural(problems, 'problem')}.`;
  }
}
