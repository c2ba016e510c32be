import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, testHost } from '../../tools/workbench/testHost';

/** The parts of vscode-textmate and vscode-oniguruma this test uses (VS Code's own copies, from the test host). */
interface Token {
  startIndex: number;
  endIndex: number;
  scopes: string[];
}
interface Grammar {
  tokenizeLine(line: string, state: unknown): { tokens: Token[]; ruleStack: unknown };
}
interface TextMate {
  INITIAL: unknown;
  Registry: new (options: { onigLib: Promise<unknown>; loadGrammar(scope: string): Promise<unknown> }) => { loadGrammar(scope: string): Promise<Grammar | null> };
  parseRawGrammar(content: string, path: string): unknown;
}
interface Oniguruma {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (text: string) => unknown;
}

/**
 * The `.mqtt` grammar tokenized by VS Code's own TextMate engine (vscode-textmate and its
 * Oniguruma, from the VS Code build of the test host) with VS Code's JSON grammar embedded: each
 * construct of docs/mqtt-files.md gets its scope, and a body line that starts with `#` stays body.
 */
describe('.mqtt grammar in VS Code\'s TextMate engine', () => {
  let grammar: Grammar;
  let textmate: TextMate;

  before(async () => {
    const vscodeDir = join(testHost().dir, 'vscode', 'node_modules', 'code-server', 'lib', 'vscode');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    textmate = require(join(vscodeDir, 'node_modules', 'vscode-textmate')) as TextMate;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const oniguruma = require(join(vscodeDir, 'node_modules', 'vscode-oniguruma')) as Oniguruma;
    const wasm = readFileSync(join(vscodeDir, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
    const files: Record<string, string> = {
      'source.mqtt': join(REPO_ROOT, 'syntaxes', 'mqtt.tmLanguage.json'),
      'source.json': join(vscodeDir, 'extensions', 'json', 'syntaxes', 'JSON.tmLanguage.json'),
    };
    const registry = new textmate.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns), createOnigString: (text: string) => new oniguruma.OnigString(text) }),
      loadGrammar: (scope) => Promise.resolve(files[scope] ? textmate.parseRawGrammar(readFileSync(files[scope], 'utf8'), files[scope]) : null),
    });
    const loaded = await registry.loadGrammar('source.mqtt');
    assert.ok(loaded);
    grammar = loaded;
  });

  /** The innermost scope of each piece of text, line by line, as `text → scope`. */
  function tokenize(text: string): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    let state = textmate.INITIAL;
    for (const line of text.split('\n')) {
      const { tokens, ruleStack } = grammar.tokenizeLine(line, state);
      state = ruleStack;
      for (const token of tokens) {
        const piece = line.slice(token.startIndex, token.endIndex).trim();
        if (piece && !seen.has(piece)) seen.set(piece, token.scopes);
      }
    }
    return seen;
  }

  const innermost = (scopes: Map<string, string[]>, piece: string) => scopes.get(piece)?.at(-1);

  it('gives each construct its scope', () => {
    const scopes = tokenize(
      [
        '# A comment',
        '# @connection Local broker',
        '@site = berlin',
        '',
        '### Turn it on',
        'PUBLISH fleet/{{site}}/lamp',
        'QoS: 1',
        'Retain: true',
        'Format: json',
        '',
        '{"on": true, "at": "{{$isoTimestamp}}"}',
        '',
        '### Listen',
        'expect fleet/+/state/#',
        '',
        'hex: 01 02',
        '### File',
        'PUBLISH a',
        '',
        '< ./frame.bin',
      ].join('\n'),
    );
    assert.equal(innermost(scopes, 'A comment'), 'comment.line.mqtt');
    assert.equal(innermost(scopes, '@connection'), 'keyword.other.connection.mqtt');
    assert.equal(innermost(scopes, 'Local broker'), 'string.unquoted.connection-name.mqtt');
    assert.equal(innermost(scopes, 'site'), 'variable.other.definition.mqtt');
    assert.equal(innermost(scopes, '###'), 'punctuation.definition.heading.mqtt');
    assert.equal(innermost(scopes, 'Turn it on'), 'entity.name.section.block-name.mqtt');
    assert.equal(innermost(scopes, 'PUBLISH'), 'keyword.control.kind.mqtt');
    assert.equal(innermost(scopes, 'expect'), 'keyword.control.kind.mqtt');
    assert.equal(innermost(scopes, 'fleet'), 'string.unquoted.topic.mqtt');
    assert.equal(innermost(scopes, '+'), 'keyword.operator.wildcard.mqtt');
    assert.equal(innermost(scopes, 'QoS'), 'support.type.property-name.header.mqtt');
    assert.equal(innermost(scopes, '1'), 'constant.numeric.mqtt');
    assert.equal(innermost(scopes, 'true'), 'constant.language.boolean.mqtt');
    assert.equal(innermost(scopes, 'json'), 'string.unquoted.header-value.mqtt');
    assert.ok(scopes.get('on')?.includes('meta.embedded.block.json'), 'a JSON body is JSON');
    assert.equal(innermost(scopes, '$isoTimestamp'), 'support.function.builtin.mqtt', 'a built-in inside a JSON string');
    assert.equal(innermost(scopes, 'hex:'), 'keyword.other.encoding.hex.mqtt');
    assert.equal(innermost(scopes, '01 02'), 'constant.numeric.hex.mqtt');
    assert.equal(innermost(scopes, '<'), 'keyword.operator.file-reference.mqtt');
  });

  it('in a body, a line starting with # is content, and ### still starts the next block', () => {
    const scopes = tokenize(['### a', 'PUBLISH a', '', 'line one', '# not a comment', '### b', 'PUBLISH b'].join('\n'));
    assert.ok(!scopes.get('# not a comment')?.some((scope) => scope.startsWith('comment')));
    assert.ok(scopes.get('# not a comment')?.includes('meta.body.mqtt'));
    assert.equal(innermost(scopes, 'b'), 'entity.name.section.block-name.mqtt');
  });

  it('a JSON body with an unclosed { or [ ends at the next ###: the following blocks keep their colours', () => {
    for (const open of ['{"on": true,', '[1, 2']) {
      const scopes = tokenize(['### Half typed', 'PUBLISH a', '', open, '  "more": 1', '### Next', 'PUBLISH next/topic', 'QoS: 1'].join('\n'));
      assert.ok(scopes.get('more')?.includes('meta.embedded.block.json'), `${open}: the body's lines before ### are JSON`);
      assert.equal(innermost(scopes, 'Next'), 'entity.name.section.block-name.mqtt', open);
      assert.ok(!scopes.get('Next')?.includes('meta.embedded.block.json'), `${open}: the ### line is no JSON`);
      assert.equal(innermost(scopes, 'next'), 'string.unquoted.topic.mqtt', open);
      assert.equal(innermost(scopes, 'QoS'), 'support.type.property-name.header.mqtt', open);
    }
  });
});
