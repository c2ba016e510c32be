import { workerData } from 'node:worker_threads';
import { workerRoleOf } from './shared/workerRole';

// The one bundle of both worker threads (dist/workers.js): the client that starts a thread names
// its role in workerData (src/shared/workerRole.ts), and only that role's module runs. Each module
// is still an entry of its own where nothing is bundled (the unit tests start them directly).
// `require`, not `import`: a module runs when it loads, so a static import would start both, and a
// dynamic import() is left to Node by the tests' one-to-one transpile (which then cannot find the
// extensionless path); esbuild bundles a require of a literal path like an import.
/* eslint-disable @typescript-eslint/no-require-imports -- see above: load only the picked role's module */
switch (workerRoleOf(workerData)) {
  case 'engine':
    require('./worker/engineWorker');
    break;
  case 'devtools':
    require('./devtools/devtoolsWorker');
    break;
}
