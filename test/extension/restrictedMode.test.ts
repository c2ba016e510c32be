import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import type { TestInternals } from '../../src/host/api';
import { newProfile } from '../../src/shared/profile';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';

const config = () => vscode.workspace.getConfiguration('mqttExplorer');

/**
 * The trusted side of Restricted Mode, in a real VS Code. This suite's folder is trusted (the test
 * profile turns workspace trust off) and an extension cannot make it untrusted; the untrusted side
 * is covered by test/ui/restrictedMode.test.ts in the workbench with trust on, and the gate by
 * test/unit/restrictedMode.test.ts.
 */
describe('Restricted Mode: a trusted folder in a real VS Code', function () {
  this.timeout(60_000);
  let api: TestInternals;

  before(async () => {
    api = await explorer();
  });

  after(async () => {
    const cleared = () => config().inspect('connections')?.workspaceValue === undefined;
    const changed = cleared() ? undefined : waitFor(vscode.workspace.onDidChangeConfiguration, cleared, 10_000, 'the workspace connections to be cleared');
    await config().update('connections', undefined, vscode.ConfigurationTarget.Workspace);
    await changed;
  });

  it('the folder\'s connections are neither marked nor refused, and the form may save into its settings', async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    const profile = newProfile('trusted-folder-profile', { name: 'Trusted folder broker', host: '127.0.0.1', port: 1, mqttVersion: 4 });
    const saved = waitFor(vscode.workspace.onDidChangeConfiguration, () => isDeepStrictEqual(config().inspect<{ id: string }[]>('connections')?.workspaceValue?.map((raw) => raw.id), [profile.id]), 10_000, 'the workspace profile');
    await api.profiles.save(profile, 'workspace');
    await saved;
    const stored = api.profiles.get(profile.id);
    assert.equal(stored?.target, 'workspace');
    assert.equal(stored?.restricted, false);
    assert.equal(api.profiles.refusal(stored.profile), undefined);
  });
});
