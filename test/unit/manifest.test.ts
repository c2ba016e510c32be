import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const MANIFEST = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  engines: { vscode: string };
  activationEvents: string[];
  contributes: { views: Record<string, { id: string }[]> };
};

describe('Activation (package.json)', () => {
  it('not with VS Code: the views, the commands and a restored panel start the extension', () => {
    assert.ok(!MANIFEST.activationEvents.includes('onStartupFinished'), 'no onStartupFinished');
    assert.ok(!MANIFEST.activationEvents.includes('*'), 'no *');
    // From VS Code 1.74 on, contributed views and commands activate their extension by themselves
    // (onView:…, onCommand:… implied); a webview panel restored after a reload has no such contribution.
    const [major, minor] = (/^\^?(\d+)\.(\d+)\./.exec(MANIFEST.engines.vscode) ?? []).slice(1).map(Number);
    assert.ok(major > 1 || minor >= 74, `engines.vscode ${MANIFEST.engines.vscode} implies onView and onCommand`);
    assert.deepEqual(
      Object.values(MANIFEST.contributes.views).flatMap((views) => views.map((view) => view.id)),
      ['mqttExplorer.connections', 'mqttExplorer.topics'],
    );
    assert.deepEqual(MANIFEST.activationEvents, ['onWebviewPanel:mqttExplorer.topic']);
  });
});
