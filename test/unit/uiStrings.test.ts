import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

/*
 * Every text the extension host shows goes through vscode.l10n.t (or l10n.t). This reads the host's
 * source with the TypeScript parser and lists prose literals in the places a user sees: message boxes
 * and their buttons, tree items, diagnostics, test messages, markdown, and the properties VS Code
 * shows (label, description, detail, tooltip, placeHolder, prompt, title, message…). A literal that
 * is data, not prose, carries `// l10n-ignore` on its line or the line above.
 */

const ROOT = join(__dirname, '..', '..', '..');
const SHOWN_PROPERTIES = new Set(['placeHolder', 'prompt', 'title', 'tooltip', 'label', 'description', 'detail', 'message', 'text', 'validationMessage']);
const SHOWN_CONSTRUCTORS = new Set(['TreeItem', 'Diagnostic', 'TestMessage', 'MarkdownString']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Prose: words a person reads, not an identifier, a setting id, a codicon or a placeholder alone. */
function isProse(text: string): boolean {
  const words = text.replace(/\$\([\w-]+\)/g, '').replace(/\{\d+\}/g, '').trim();
  if (!/[a-z]{2,}/.test(words)) return false; // empty, a symbol, or an all-caps name such as MQTT
  return /\s/.test(words) || /^[A-Z]/.test(words);
}

function isL10nCall(node: ts.Node): boolean {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression.getText();
  return callee === 'vscode.l10n.t' || callee === 'l10n.t';
}

/** The literals an expression shows as they are: through conditionals, `+`, `??`, templates and arrays, not into calls. */
function shownLiterals(node: ts.Expression): (ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression)[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return [node];
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) return shownLiterals(node.expression);
  if (ts.isConditionalExpression(node)) return [...shownLiterals(node.whenTrue), ...shownLiterals(node.whenFalse)];
  if (ts.isBinaryExpression(node)) return [...shownLiterals(node.left), ...shownLiterals(node.right)];
  if (ts.isArrayLiteralExpression(node)) return node.elements.flatMap((element) => shownLiterals(element));
  return [];
}

function literalText(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression): string {
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' ');
  return node.text;
}

function unlocalized(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (expression: ts.Expression): void => {
    for (const literal of shownLiterals(expression)) {
      if (!isProse(literalText(literal))) continue;
      const line = source.getLineAndCharacterOfPosition(literal.getStart()).line;
      if (/l10n-ignore/.test(lines[line]) || /l10n-ignore/.test(lines[line - 1] ?? '')) continue;
      found.push(`${relative(ROOT, file)}:${line + 1}: ${literal.getText().slice(0, 80)}`);
    }
  };
  const visit = (node: ts.Node): void => {
    if (isL10nCall(node)) return; // its key and arguments are what the translator sees
    if (ts.isCallExpression(node) && /\.show(Information|Warning|Error)Message$/.test(node.expression.getText())) {
      node.arguments.forEach(report);
    } else if (ts.isNewExpression(node) && SHOWN_CONSTRUCTORS.has(node.expression.getText().replace(/^vscode\./, ''))) {
      node.arguments?.forEach(report);
    } else if (ts.isPropertyAssignment(node) && SHOWN_PROPERTIES.has(node.name.getText())) {
      report(node.initializer);
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && SHOWN_PROPERTIES.has(node.left.name.text)) {
      report(node.right);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('Localization: the extension host shows no unlocalized prose', () => {
  it('every shown literal in src/host and src/extension.ts goes through l10n.t (or is marked l10n-ignore)', () => {
    const files = [join(ROOT, 'src', 'extension.ts'), ...sourceFiles(join(ROOT, 'src', 'host'))];
    const found = files.flatMap(unlocalized);
    assert.deepEqual(found, [], `${found.length} unlocalized texts:\n${found.join('\n')}`);
  });

  it('the check finds what it looks for', () => {
    // The check itself, on a sample: a bare message, a button, a tree item and a property are found; l10n.t and data are not.
    const sample = [
      "vscode.window.showWarningMessage('Delete this topic?', 'Delete');",
      "new vscode.TreeItem('No connections yet');",
      "const item = { label: 'Open file', description: vscode.l10n.t('Shown {0}', x), detail: 'mqttExplorer.connections' };",
      "quickPick.placeholder = 'x'; quickPick.title = `Pick ${name} now`;",
      "vscode.window.showInformationMessage(vscode.l10n.t('Done'));",
      "vscode.window.showErrorMessage('Data on purpose'); // l10n-ignore",
    ].join('\n');
    const path = join(tmpdir(), `uiStrings-sample-${process.pid}.ts`);
    writeFileSync(path, sample);
    const found = unlocalized(path).map((line) => line.replace(/^.*?:\d+: /, ''));
    assert.deepEqual(found, ["'Delete this topic?'", "'Delete'", "'No connections yet'", "'Open file'", '`Pick ${name} now`']);
  });
});
