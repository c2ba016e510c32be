import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { newProfile } from '../../src/shared/profile';
import { describeState } from '../../src/host/connectionsView';
import type { TestInternals } from '../../src/host/api';
import { waitFor } from '../helpers/waitFor';
import { explorer } from './explorer';

describe('TLS files in a real VS Code', function () {
  this.timeout(30_000);
  let api: TestInternals;
  let fifo: string;
  const id = 'tls-file-test';

  before(async () => {
    api = await explorer();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test host opens a folder');
    fifo = join(folder.uri.fsPath, 'tls-test-ca.pem');
    execFileSync('mkfifo', [fifo]);
  });

  after(async () => {
    await api.profiles.remove(id);
    // A reader left waiting on the FIFO (a broken guard) is released by a writer that opens and closes it.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // Nobody reads it.
    }
    rmSync(fifo, { force: true });
  });

  it('a relative CA path is read from the workspace folder; a FIFO there fails the connect at once, named in the Connections view', async () => {
    const profile = newProfile(id, { name: 'TLS file test', host: '127.0.0.1', port: 1, protocol: 'mqtts', tls: { verify: true, caFile: 'tls-test-ca.pem' } });
    const listed = waitFor(api.registry.onDidChange, () => api.registry.get(id) !== undefined, 10_000, 'the saved profile to appear as a connection');
    await api.profiles.save(profile, 'user', {});
    await listed;
    const connection = api.registry.get(id);
    assert.ok(connection);
    const expected = `CA certificate: tls-test-ca.pem (${fifo}) is not a regular file (a named pipe).`;
    // Well inside the engine's connect deadline: a blocking open would wait for a writer that never comes.
    const failed = waitFor(connection.onDidChangeState, (state) => state.kind === 'failed', 5000, 'the connection to fail');
    await assert.rejects(connection.connect(), { message: expected });
    await failed;
    assert.equal(describeState(connection.state), `failed: ${expected}`, 'the row of the Connections view says which field and why');
  });
});
