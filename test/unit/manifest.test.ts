import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { visit } from 'jsonc-parser';

const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  engines: { vscode: string };
  activationEvents: string[];
  contributes: { views: Record<string, { id: string }[]> };
};

describe('Activation (package.json)', () => {
  it('not with VS Code: the views, the commands, a restored panel and a workspace with .mqtt files start the extension', () => {
    assert.ok(!MANIFEST.activationEvents.includes('onStartupFinished'), 'no onStartupFinished');
    assert.ok(!MANIFEST.activationEvents.includes('*'), 'no *');
    // From VS Code 1.74 on, contributed views and commands activate their extension by themselves
    // (onView:…, onCommand:… implied); a webview panel restored after a reload has no such contribution.
    const [major, minor] = (/^\^?(\d+)\.(\d+)\./.exec(MANIFEST.engines.vscode) ?? []).slice(1).map(Number);
    assert.ok(major > 1 || minor >= 74, `engines.vscode ${MANIFEST.engines.vscode} implies onView and onCommand`);
    assert.deepEqual(
      Object.values(MANIFEST.contributes.views).flatMap((views) => views.map((view) => view.id)),
      ['mqttExplorer.connections', 'mqttExplorer.topics', 'mqttExplorer.requests', 'mqttExplorer.recordingTimeline'],
    );
    // A workspace with .mqtt files: the Test Explorer lists them (the language itself activates on opening one).
    // onUri: a link to a broker (vscode://…/connect?url=…) opens the connection form before anything else activated the extension.
    assert.deepEqual(MANIFEST.activationEvents, ['onWebviewPanel:mqttExplorer.topic', 'onWebviewPanel:mqttExplorer.broker', 'workspaceContains:**/*.mqtt', 'onUri']);
  });
});

/** A `when` clause of the Topics view's row menus, for a row's contextValue: `||` of `&&` of `view ==`, `viewItem ==` and `viewItem =~ /…/`. */
function rowMenuShows(when: string, contextValue: string): boolean {
  return when.split('||').some((conjunction) =>
    conjunction.split('&&').every((term) => {
      const [, key, op, value] = /^\s*(\w+)\s*(==|=~)\s*(.+?)\s*$/.exec(term) ?? [];
      if (key === 'view') return value === 'mqttExplorer.topics';
      if (key !== 'viewItem') throw new Error(`not understood: ${term}`);
      if (op === '==') return value === contextValue;
      const [, source, flags] = /^\/(.*)\/(\w*)$/.exec(value) ?? [];
      return new RegExp(source, flags).test(contextValue);
    }),
  );
}

describe('Row menus of the Topics view (package.json)', () => {
  const menus = (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus['view/item/context'];
  /** The commands a row's context menu offers (inline or not). */
  const offered = (contextValue: string) => [...new Set(menus.filter((menu) => menu.when?.includes('mqttExplorer.topics') && rowMenuShows(menu.when, contextValue)).map((menu) => menu.command.replace('mqttExplorer.', '')))].sort();

  it('a Sparkplug B row (…sparkplug last) offers what its kind of row offers, and Request Rebirth', () => {
    const topic = ['clearTopics', 'copyTopic', 'copyValue', 'decodeAs', 'deleteRetainedBelow', 'exportSnapshot', 'publishToTopic', 'showTopic', 'showTopicToSide', 'startRecording'];
    assert.deepEqual(offered('mqttExplorer.topic'), topic);
    assert.deepEqual(offered('mqttExplorer.topic.sparkplug'), [...topic, 'requestRebirth'].sort());
    assert.deepEqual(offered('mqttExplorer.topic.retained'), [...topic, 'deleteRetained'].sort());
    assert.deepEqual(offered('mqttExplorer.topic.retained.sparkplug'), [...topic, 'deleteRetained', 'requestRebirth'].sort());
    const level = ['clearTopics', 'copyTopic', 'deleteRetainedBelow', 'exportSnapshot', 'publishToTopic', 'startRecording'];
    assert.deepEqual(offered('mqttExplorer.topicLevel'), level);
    assert.deepEqual(offered('mqttExplorer.topicLevel.sparkplug'), [...level, 'requestRebirth'].sort());
  });

  it('a recording\'s rows (….offline last) offer nothing that publishes, deletes, records or asks for a rebirth', () => {
    const read = ['clearTopics', 'copyTopic', 'copyValue', 'decodeAs', 'exportSnapshot', 'showTopic', 'showTopicToSide'];
    assert.deepEqual(offered('mqttExplorer.topic.offline'), read);
    assert.deepEqual(offered('mqttExplorer.topic.retained.sparkplug.offline'), read);
    assert.deepEqual(offered('mqttExplorer.topicLevel.offline'), ['clearTopics', 'copyTopic', 'exportSnapshot']);
    assert.deepEqual(offered('mqttExplorer.topicsRoot.offline'), ['clearTopics', 'copyTopic', 'exportSnapshot']);
    assert.ok(offered('mqttExplorer.topicsRoot').includes('startRecording'));
  });
});

describe('package.json as text', () => {
  it('has no key twice in one object (JSON.parse keeps the last: a merge that joins two menu entries loses one silently)', () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8');
    const open: Set<string>[] = [];
    const twice: string[] = [];
    visit(text, {
      onObjectBegin: () => void open.push(new Set()),
      onObjectEnd: () => void open.pop(),
      onObjectProperty: (property, offset) => {
        const keys = open[open.length - 1];
        if (keys.has(property)) twice.push(`"${property}" at offset ${offset}`);
        keys.add(property);
      },
    });
    assert.deepEqual(twice, []);
  });
});
