import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { REPO_ROOT } from '../../tools/workbench/testHost';
import { createWorkspace } from '../../tools/workbench/workspace';

/**
 * `npm run test:desktop`: the same extension-host suite in the desktop VS Code, downloaded by
 * @vscode/test-electron. For machines that can reach Microsoft's update servers (a laptop, a hosted
 * CI); the project's own CI uses the server launcher (runExtensionHost) instead.
 */
async function main(): Promise<void> {
  await runTests({
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: join(REPO_ROOT, 'out', 'test', 'extension', 'index.js'),
    launchArgs: [createWorkspace({}), '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
