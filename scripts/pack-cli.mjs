// `npm run pack:cli`: the command line, mqtt-explorer-test, as an npm package of its own in
// dist-cli/: one bundled file (its dependencies inside, by esbuild.mjs), a package.json with the
// bin, the README section and the licence. `npm install -g dist-cli/mqtt-explorer-test-<v>.tgz`
// (or publishing it) then gives `npx mqtt-explorer-test` anywhere, without the extension.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = JSON.parse(readFileSync('package.json', 'utf8'));
execFileSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });

const out = 'dist-cli';
const dir = join(out, 'package');
rmSync(out, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
copyFileSync('dist/cli/mqtt-explorer-test.js', join(dir, 'mqtt-explorer-test.js'));
chmodSync(join(dir, 'mqtt-explorer-test.js'), 0o755);
copyFileSync('LICENSE', join(dir, 'LICENSE'));

// The README's section on the command line is the package's README.
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf('## Running .mqtt files from a terminal / CI');
if (start < 0) throw new Error('README.md has no "Running .mqtt files from a terminal / CI" section');
const end = readme.indexOf('\n## ', start + 3);
const section = readme.slice(start, end < 0 ? undefined : end).replace(/^## .*\n/, '');
writeFileSync(
  join(dir, 'README.md'),
  `# mqtt-explorer-test\n\nRuns \`.mqtt\` message files (publish, request, expect) against an MQTT broker from a terminal or CI: the command line of the MQTT Explorer VS Code extension. The format: docs/mqtt-files.md in the extension's repository.\n${section}`,
);

const manifest = {
  name: 'mqtt-explorer-test',
  version: root.version,
  description: 'Run .mqtt message files as tests against an MQTT broker (MQTT 3.1.1 and 5), with JUnit XML for CI.',
  license: root.license,
  keywords: ['mqtt', 'test', 'junit', 'iot', 'request-response'],
  bin: { 'mqtt-explorer-test': './mqtt-explorer-test.js' },
  files: ['mqtt-explorer-test.js', 'README.md', 'LICENSE'],
  engines: { node: '>=20' },
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const tarball = execFileSync('npm', ['pack', '--pack-destination', '..', '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
console.log(`dist-cli/${tarball}`);
