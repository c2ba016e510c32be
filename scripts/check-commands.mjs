// Every command declared in package.json is registered in code, and every registered command is
// declared (after vscode-pull-request-github's scripts/check-commands.js).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const declared = new Set(JSON.parse(readFileSync('package.json', 'utf8')).contributes.commands.map((c) => c.command));
const registered = new Set();
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/registerCommand\(\s*'([^']+)'/g)) registered.add(match[1]);
    }
  }
};
walk('src');
const problems = [
  ...[...declared].filter((id) => !registered.has(id)).map((id) => `declared in package.json but never registered: ${id}`),
  ...[...registered].filter((id) => !declared.has(id)).map((id) => `registered but not declared in package.json: ${id}`),
];
for (const problem of problems) console.error(problem);
if (problems.length) process.exit(1);
console.log(`check-commands: ${declared.size} commands declared and registered`);
