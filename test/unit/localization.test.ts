import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { getL10nJson, type l10nJsonFormat } from '@vscode/l10n-dev';
import { NLS_REFERENCE, readRepoJson, REPO_ROOT } from '../helpers/manifest';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The keys whose string values VS Code shows a person (commands, views, welcome content, settings,
 * walkthroughs, custom editors, task definitions…). Anything else (ids, `when` clauses, paths,
 * icons, JSON Schema validation) is not translated.
 */
const SHOWN = new Set(['title', 'shortTitle', 'category', 'name', 'contextualTitle', 'contents', 'displayName', 'description', 'markdownDescription', 'patternErrorMessage', 'deprecationMessage', 'markdownDeprecationMessage', 'label', 'altText']);
/** Lists whose every entry is shown. */
const SHOWN_LISTS = new Set(['enumDescriptions', 'markdownEnumDescriptions', 'enumItemLabels']);
/** Values that are data, not schema: a setting's default or a snippet's body may hold any key. */
const DATA = new Set(['default', 'body', 'examples', 'const', 'enum']);

/** Every shown text of the manifest with where it is (`contributes.commands.3.title`). */
function shownTexts(manifest: { [key: string]: Json }): { at: string; text: Json }[] {
  const found: { at: string; text: Json }[] = [];
  for (const key of ['displayName', 'description']) found.push({ at: key, text: manifest[key] });
  const stack: { at: string; value: Json }[] = [{ at: 'capabilities', value: manifest.capabilities }, { at: 'contributes', value: manifest.contributes }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { at, value } = next;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const place = `${at}.${key}`;
      if (typeof child === 'string' && SHOWN.has(key) && !Array.isArray(value)) found.push({ at: place, text: child });
      else if (SHOWN_LISTS.has(key) && Array.isArray(child)) child.forEach((text, index) => found.push({ at: `${place}.${index}`, text }));
      // A language's first alias is its name in the language picker; the others are ids people type.
      else if (key === 'aliases' && Array.isArray(child) && child.length) found.push({ at: `${place}.0`, text: child[0] });
      else if (!DATA.has(key)) stack.push({ at: place, value: child });
    }
  }
  return found;
}

/**
 * What a translation must keep as it is: placeholders (`{0}`, `{name}`), link targets
 * (`(command:mqttExplorer.addConnection)`), markdown code spans and setting references
 * (`#mqttExplorer.x#`). Sorted: a translation may put them in another order.
 */
export function markup(text: string): string[] {
  const codeSpans = text.match(/`[^`]+`/g) ?? [];
  const prose = text.replace(/`[^`]+`/g, ' ');
  return [
    ...codeSpans,
    ...(prose.match(/\{\w+\}/g) ?? []),
    ...(prose.match(/\]\([^)\s]+\)/g) ?? []).map((link) => link.slice(1)),
    ...(prose.match(/#[\w.]+#/g) ?? []),
  ].sort();
}

/** The message of a bundle entry (l10n-dev writes `{ message, comment }` for strings with a comment). */
function message(entry: l10nJsonFormat[string]): string {
  return typeof entry === 'string' ? entry : entry.message;
}

/** The translations next to an English file: `package.nls.de.json` for `package.nls.json`, by language. */
function translations(folder: string, prefix: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.([\\w-]+)\\.json$`);
  if (!existsSync(join(REPO_ROOT, folder))) return found;
  for (const name of readdirSync(join(REPO_ROOT, folder))) {
    const language = pattern.exec(name)?.[1];
    if (language) found.set(language, join(folder, name));
  }
  return found;
}

/** Checks one translation file against its English: the same keys, and the markup of each kept. */
function assertTranslation(english: Record<string, string>, path: string): void {
  const translated = readRepoJson<Record<string, unknown>>(path);
  const missing = Object.keys(english).filter((key) => !(key in translated));
  const extra = Object.keys(translated).filter((key) => !(key in english));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${path} has exactly the keys of its English`);
  const changed: string[] = [];
  for (const [key, text] of Object.entries(english)) {
    const translation = translated[key];
    if (typeof translation !== 'string' || !translation.trim()) changed.push(`${key}: no text`);
    else if (markup(translation).join('\n') !== markup(text).join('\n')) changed.push(`${key}: ${JSON.stringify(markup(text))} became ${JSON.stringify(markup(translation))}`);
  }
  assert.deepEqual(changed, [], `${path} keeps every placeholder, link, code span and setting reference`);
}

/** The source files `npm run l10n` reads (vscode-l10n-dev export ./src ./webview): every .ts/.tsx/.js/.jsx below them. */
function scriptFiles(): { extension: string; contents: string }[] {
  const files: { extension: string; contents: string }[] = [];
  for (const root of ['src', 'webview']) {
    for (const entry of readdirSync(join(REPO_ROOT, root), { recursive: true, withFileTypes: true })) {
      // glob, as the exporter uses it, skips dot files and folders.
      const path = join(entry.parentPath, entry.name);
      if (!entry.isFile() || !/\.(ts|tsx|js|jsx)$/.test(entry.name) || path.slice(REPO_ROOT.length).split(/[\\/]/).some((part) => part.startsWith('.'))) continue;
      files.push({ extension: extname(entry.name), contents: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

describe('Localization: the manifest (package.nls.json)', () => {
  const manifest = readRepoJson<{ [key: string]: Json }>('package.json');
  const nls = readRepoJson<Record<string, string>>('package.nls.json');

  it('every text the manifest shows is a %key% of package.nls.json, and every key there is used', () => {
    const texts = shownTexts(manifest);
    // The walk finds what it should: a command title, a setting's description, a view's name, the welcome content.
    for (const at of ['contributes.commands.0.title', 'contributes.commands.0.category', 'contributes.views.mqttExplorer.0.name', 'contributes.viewsWelcome.0.contents', 'contributes.configuration.title', 'capabilities.untrustedWorkspaces.description', 'contributes.languages.0.aliases.0']) {
      assert.ok(texts.some((text) => text.at === at), `${at} is a shown text`);
    }
    assert.ok(texts.filter((text) => text.at.endsWith('markdownDescription')).length >= 30);
    const literal = texts.filter(({ text }) => typeof text !== 'string' || !NLS_REFERENCE.test(text)).map(({ at, text }) => `${at}: ${JSON.stringify(text)}`);
    assert.deepEqual(literal, [], 'shown texts written in package.json instead of package.nls.json');
    const used = new Set(texts.map(({ text }) => NLS_REFERENCE.exec(String(text))?.[1]));
    assert.deepEqual([...used].filter((key) => key !== undefined && !(key in nls)), [], 'references without an English text');
    // VS Code replaces a reference anywhere in the manifest: count those outside the shown fields too.
    const everywhere = new Set([...JSON.stringify(manifest).matchAll(/"%([\w.-]+)%"/g)].map((match) => match[1]));
    assert.deepEqual(Object.keys(nls).filter((key) => !everywhere.has(key)), [], 'keys of package.nls.json that nothing uses');
  });

  it('package.nls.json is sorted by key (merges of several branches stay readable)', () => {
    assert.deepEqual(Object.keys(nls), Object.keys(nls).sort());
  });

  it('German is there, and every translation has exactly the English keys with the same placeholders, links, code spans and setting references', () => {
    const found = translations('.', 'package.nls');
    assert.ok(found.has('de'), 'package.nls.de.json exists');
    for (const path of found.values()) {
      assertTranslation(nls, path);
      const keys = Object.keys(readRepoJson<object>(path));
      assert.deepEqual(keys, [...keys].sort(), `${path} is sorted by key`);
    }
  });

  it('the markup check sees what a translation could break', () => {
    const english = 'Then [start the simulator](command:mqttExplorer.startSimulator), up to `#mqttExplorer.x#` or #mqttExplorer.y#, {0} of {1}.';
    assert.deepEqual(markup(english), ['(command:mqttExplorer.startSimulator)', '#mqttExplorer.y#', '`#mqttExplorer.x#`', '{0}', '{1}'].sort());
    assert.deepEqual(markup('{1} von {0}, bis `#mqttExplorer.x#` oder #mqttExplorer.y#. [Starten Sie den Simulator](command:mqttExplorer.startSimulator)'), markup(english));
    assert.notDeepEqual(markup(english.replace('command:mqttExplorer.startSimulator', 'command:mqttExplorer.startSimulatr')), markup(english));
    assert.notDeepEqual(markup(english.replace('`#mqttExplorer.x#`', '#mqttExplorer.x#')), markup(english));
    assert.notDeepEqual(markup(english.replace('{1}', '{2}')), markup(english));
  });
});

describe('Localization: the code (l10n/bundle.l10n.json)', function () {
  // The exporter parses every source file with tree-sitter.
  this.timeout(120_000);
  const english = readRepoJson<l10nJsonFormat>('l10n/bundle.l10n.json');

  it('l10n/bundle.l10n.json is what `npm run l10n` makes of src and webview now (regenerate and commit it)', async () => {
    const extracted = await getL10nJson(scriptFiles());
    const added = Object.keys(extracted).filter((key) => !(key in english));
    const gone = Object.keys(english).filter((key) => !(key in extracted));
    assert.deepEqual({ added, gone }, { added: [], gone: [] }, 'run `npm run l10n` and commit l10n/bundle.l10n.json');
    assert.deepEqual(extracted, english, 'run `npm run l10n` and commit l10n/bundle.l10n.json');
  });

  it('German is there, and every translation has exactly the keys of the bundle with the same placeholders, links, code spans and setting references', () => {
    const found = translations('l10n', 'bundle.l10n');
    assert.ok(found.has('de'), 'l10n/bundle.l10n.de.json exists');
    const messages = Object.fromEntries(Object.entries(english).map(([key, entry]) => [key, message(entry)]));
    for (const path of found.values()) assertTranslation(messages, path);
  });
});
