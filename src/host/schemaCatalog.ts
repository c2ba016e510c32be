import * as vscode from 'vscode';
import type { SchemasSet } from '../shared/engineProtocol';
import { formatBytes } from '../shared/format';
import { MAX_SCHEMA_BINDINGS, MAX_JSON_SCHEMA_FILE_BYTES, MAX_JSON_SCHEMA_TOTAL_BYTES, readSchemaBindings, schemaBindingFor, SCHEMAS_SETTING, type SchemaBinding } from '../shared/schemaBindings';
import type { EngineClient } from './engine/engineClient';
import { messageOf, plural, SettingFilesCatalog, type CatalogFiles, type CatalogOptions, type CatalogProblems, type CatalogSet } from './settingFilesCatalog';
import { readText } from './workspaceText';

/** The bound schema files as read for one set. */
interface SchemaFiles extends CatalogFiles {
  /** Problems of the bindings' files (missing, too big, unreadable), by the binding's index: they go on the setting's entry. */
  errors: string[];
  /** Every bound file's place, found or not: a file created later loads when it appears. */
  watch: vscode.Uri[];
}

type SentSet = CatalogSet<SchemaBinding, SchemaFiles>;

/**
 * The JSON Schemas' host side (a SettingFilesCatalog): the `mqttExplorer.schemas` setting and the
 * schema files it names, sent to the engine (`setSchemas`); a schema's problem on its file, a
 * binding's on the settings file. Only the bound files are read (no search of the workspace), at
 * most one per binding, and each is watched (created, changed, deleted).
 *
 * Restricted Mode: no file of the folder is read until the folder is trusted.
 */
export class SchemaCatalog extends SettingFilesCatalog<SchemaBinding, SchemaFiles, SchemasSet> {
  private watchers: vscode.FileSystemWatcher[] = [];
  private watched = '';

  constructor(engine: EngineClient, log: vscode.LogOutputChannel, options: CatalogOptions = {}) {
    // l10n-ignore: the label names the catalog in log lines only
    super(engine, log, { setting: SCHEMAS_SETTING, label: 'JSON Schemas', notice: vscode.l10n.t('MQTT JSON Schemas') }, options);
    this.register({ dispose: () => this.watchers.forEach((watcher) => watcher.dispose()) });
    this.start();
  }

  /** The binding that checks `topic` (the first whose filter matches), if any. */
  bindingFor(topic: string): SchemaBinding | undefined {
    return schemaBindingFor(topic, this.bindings);
  }

  /** Watches the bound files (created, changed, deleted): a change outside the editor reloads too. */
  protected override filesRead(files: SchemaFiles): void {
    const key = files.watch.map((uri) => uri.toString()).join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const watcher of this.watchers) watcher.dispose();
    this.watchers = files.watch.map((uri) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.slice(uri.path.lastIndexOf('/') + 1)));
      const changed = () => this.schedule();
      watcher.onDidCreate(changed);
      watcher.onDidChange(changed);
      watcher.onDidDelete(changed);
      return watcher;
    });
  }

  /** Where a binding's path leads: below the only folder, or (several folders) below the folder its first segment names. */
  private resolve(path: string): vscode.Uri | string {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.length) return vscode.l10n.t('no folder is open to read it from');
    if (folders.length === 1) return vscode.Uri.joinPath(folders[0].uri, ...path.split('/'));
    const [first, ...rest] = path.split('/');
    const folder = folders.find((candidate) => candidate.name === first);
    return folder && rest.length ? vscode.Uri.joinPath(folder.uri, ...rest) : vscode.l10n.t('in a workspace of several folders, the path starts with a folder\'s name ({0})', folders.map((candidate) => candidate.name).join(', '));
  }

  /** Reads the files the bindings name, within the caps; a problem is reported on the first binding that names the file. */
  protected async readFiles(value: unknown): Promise<SchemaFiles> {
    const files: SchemaFiles = { texts: {}, uris: new Map(), errors: [], read: true, watch: [] };
    if (!Array.isArray(value)) return files;
    let total = 0;
    const seen = new Set<string>();
    for (let index = 0; index < Math.min(value.length, MAX_SCHEMA_BINDINGS); index++) {
      // Each entry alone: an entry with a problem is reported by the engine, and names no file to read.
      const binding = readSchemaBindings([value[index]]).bindings[0];
      if (!binding || seen.has(binding.schema)) continue;
      seen.add(binding.schema);
      const at = `${SCHEMAS_SETTING}[${index}].schema`;
      const uri = this.resolve(binding.schema);
      if (typeof uri === 'string') {
        files.errors.push(`${at}: ${binding.schema}: ${uri}`);
        continue;
      }
      files.watch.push(uri);
      let stat: vscode.FileStat;
      try {
        stat = await vscode.workspace.fs.stat(uri);
      } catch {
        files.errors.push(`${at}: ${vscode.l10n.t('{0} was not found in the workspace', binding.schema)}`);
        continue;
      }
      files.uris.set(binding.schema, uri);
      if (!(stat.type & vscode.FileType.File)) {
        files.errors.push(`${at}: ${vscode.l10n.t('{0} is not a regular file', binding.schema)}`);
        continue;
      }
      if (stat.size > MAX_JSON_SCHEMA_FILE_BYTES) {
        files.errors.push(`${at}: ${vscode.l10n.t('{0} has {1}, more than the {2} a schema file may have: not loaded', binding.schema, formatBytes(stat.size), formatBytes(MAX_JSON_SCHEMA_FILE_BYTES))}`);
        continue;
      }
      let text: string;
      try {
        text = await readText(uri, MAX_JSON_SCHEMA_FILE_BYTES);
      } catch (error) {
        files.errors.push(`${at}: ${vscode.l10n.t('{0}: {1}: not loaded', binding.schema, messageOf(error))}`);
        continue;
      }
      total += Buffer.byteLength(text, 'utf8');
      if (total > MAX_JSON_SCHEMA_TOTAL_BYTES) {
        files.errors.push(`${SCHEMAS_SETTING}: ${vscode.l10n.t('the schema files have more than {0} together, the most that are read: none loaded', formatBytes(MAX_JSON_SCHEMA_TOTAL_BYTES))}`);
        files.texts = {};
        return files;
      }
      files.texts[binding.schema] = text;
    }
    return files;
  }

  protected noFiles(): SchemaFiles {
    return { texts: {}, uris: new Map<string, vscode.Uri>(), errors: [], read: false, watch: [] };
  }

  protected bindingsOf(value: unknown): SchemaBinding[] {
    return readSchemaBindings(value).bindings;
  }

  protected request(set: SentSet): Promise<SchemasSet> {
    return this.engine.request('setSchemas', { bindings: set.value, files: set.files.texts });
  }

  protected problems(set: SentSet, result: SchemasSet): CatalogProblems {
    const restricted = !set.files.read && set.bindings.length ? [`${SCHEMAS_SETTING}: ${vscode.l10n.t('Restricted Mode: the folder\'s schema files are not read until you trust it')}`] : [];
    return { files: result.schemaErrors, setting: [...result.errors, ...set.files.errors], quiet: restricted };
  }

  protected summary(set: SentSet, result: SchemasSet, problems: number): string {
    return `JSON Schemas: ${plural(set.bindings.length, 'binding')}, ${plural(result.loaded.length, 'schema')} loaded (${result.loaded.map((one) => `${one.file}, ${one.draft}`).join('; ') || 'none'}); ${plural(problems, 'problem')}.`;
  }
}
