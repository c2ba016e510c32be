import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const VSIX = resolve(ROOT, 'dist-vsix', 'mqtt-explorer.vsix');
/** The Marketplace's limit is far higher; ours keeps the download small, with room for translations. */
const MAX_BYTES = 1_000_000;

/** What the .vsix carries besides the translations (l10n/*.json, package.nls*.json), which other work adds. */
const EXPECTED_FILES = [
  'CHANGELOG.md',
  'LICENSE',
  'README.md',
  'dist/brokerView.js',
  'dist/connectionEditor.js',
  'dist/extension.js',
  'dist/shared.js',
  'dist/timeline.js',
  'dist/webview.css',
  'dist/webview.js',
  'dist/workers.js',
  'docs/broker-statistics.md',
  'docs/mqtt-files.md',
  'docs/recordings.md',
  'media/icon.png',
  'media/mqtt.svg',
  'media/panel.css',
  'media/readme/broker-stats-dark.webp',
  'media/readme/chart-sparkplug-dark.webp',
  'media/readme/decoded-sparkplug-gap-dark.webp',
  'media/readme/mqtt-file-dark.webp',
  'media/readme/panel-dark.webp',
  'media/readme/panel-high-contrast-dark.webp',
  'media/readme/panel-high-contrast-light.webp',
  'media/readme/recording-timeline-dark.webp',
  'media/readme/requests-dark.webp',
  'media/readme/schema-invalid-dark.webp',
  'media/readme/test-explorer-dark.webp',
  'media/readme/workbench-dark.webp',
  'media/walkthrough/addBroker.md',
  'media/walkthrough/openTopic.md',
  'media/walkthrough/publish.md',
  'media/walkthrough/startLocal.md',
  'package.json',
  'syntaxes/mqtt-language-configuration.json',
  'syntaxes/mqtt.tmLanguage.json',
];
const TRANSLATIONS = /^(l10n\/bundle\.l10n(\.[\w-]+)?\.json|package\.nls(\.[\w-]+)?\.json)$/;

/** Every link and image target in Markdown text: inline `[text](target)`, reference definitions and HTML src/href. */
function linkTargets(markdown: string): string[] {
  // Code spans and blocks hold examples, not links.
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]);
  targets.push(...[...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((match) => match[1]));
  targets.push(...[...text.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]));
  return targets;
}

describe('The Marketplace package (npm run package, vsce ls)', function () {
  // One production build and one vsce run, a few seconds each; a loaded 2-core machine takes longer.
  this.timeout(180_000);
  let output = '';
  let files: string[] = [];
  const manifest = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

  before(async () => {
    const packaged = await run('npm', ['run', '-s', 'package'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    output = `${packaged.stdout}\n${packaged.stderr}`;
    const listed = await run('npx', ['vsce', 'ls', '--no-dependencies'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    files = listed.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  });

  it('packages without a warning', () => {
    assert.doesNotMatch(output, /warn/i, output);
    assert.match(output, /DONE\s+Packaged: dist-vsix\/mqtt-explorer\.vsix/);
  });

  it(`is smaller than ${MAX_BYTES.toLocaleString('en')} bytes`, () => {
    const size = statSync(VSIX).size;
    assert.ok(size < MAX_BYTES, `the .vsix has ${size} bytes`);
  });

  it('carries exactly the expected files (no sources, source maps, tests or tools), and translations', () => {
    const others = files.filter((file) => !TRANSLATIONS.test(file)).sort();
    assert.deepEqual(others, [...EXPECTED_FILES].sort());
    // Every translation in the repository, and not the English source bundle (VS Code reads none for English).
    const translations = [
      ...readdirSync(resolve(ROOT, 'l10n')).filter((name) => /^bundle\.l10n\.[\w-]+\.json$/.test(name)).map((name) => `l10n/${name}`),
      ...readdirSync(ROOT).filter((name) => /^package\.nls(\.[\w-]+)?\.json$/.test(name)),
    ].sort();
    assert.ok(translations.includes('l10n/bundle.l10n.de.json') && translations.includes('package.nls.de.json'), translations.join(', '));
    assert.deepEqual(files.filter((file) => TRANSLATIONS.test(file)).sort(), translations);
  });

  it("resolves every relative link and image of the README to a packaged file", () => {
    const packaged = new Set(files);
    const targets = linkTargets(readFileSync(resolve(ROOT, 'README.md'), 'utf8'));
    const relative = targets.filter((target) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(target));
    assert.ok(relative.some((target) => target.startsWith('media/readme/')), 'the README shows packaged screenshots');
    const missing = relative.filter((target) => !packaged.has(posix.normalize(decodeURIComponent(target.replace(/[#?].*$/, '')))));
    assert.deepEqual(missing, [], 'README links to files the .vsix does not carry');
    // Absolute images must be https: the Marketplace and VS Code refuse others.
    assert.deepEqual(targets.filter((target) => /^http:/i.test(target)), []);
  });

  it('has a 128×128 PNG icon', () => {
    assert.equal(manifest.icon, 'media/icon.png');
    assert.ok(files.includes('media/icon.png'));
    const png = readFileSync(resolve(ROOT, 'media', 'icon.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.equal(png.toString('latin1', 12, 16), 'IHDR');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  });

  it('names its repository, issues, home page, categories and keywords', () => {
    const repository = manifest.repository as { type?: string; url?: string } | undefined;
    assert.equal(repository?.type, 'git');
    assert.match(repository?.url ?? '', /^https:\/\/github\.com\/[\w-]+\/[\w.-]+\.git$/);
    assert.match((manifest.bugs as { url?: string } | undefined)?.url ?? '', /^https:\/\/github\.com\/.+\/issues$/);
    assert.match(String(manifest.homepage), /^https:\/\//);
    assert.deepEqual(manifest.categories, ['Programming Languages', 'Testing', 'Visualization', 'Other']);
    const keywords = manifest.keywords as string[];
    // vsce refuses more than 30.
    assert.ok(keywords.length >= 15 && keywords.length <= 30, `${keywords.length} keywords`);
    for (const keyword of ['mqtt', 'mqtt5', 'iot', 'mosquitto', 'sparkplug', 'broker', 'pubsub']) assert.ok(keywords.includes(keyword), keyword);
    assert.match((manifest.galleryBanner as { color?: string } | undefined)?.color ?? '', /^#[0-9a-f]{6}$/i);
  });
});
