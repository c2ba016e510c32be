import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DevtoolsClient } from '../../src/devtools/devtoolsClient';
import { EngineClient } from '../../src/host/engine/engineClient';

/** The one entry of both worker threads (dist/workers.js in the package), as transpiled for the tests. */
const WORKERS = join(__dirname, '..', '..', 'src', 'workers.js');

describe('One worker bundle for the engine and the devtools threads (src/workers.ts)', function () {
  this.timeout(20_000);

  it('runs the engine for the engine role: it checks a regular expression for the input box', async () => {
    const engine = new EngineClient(WORKERS);
    try {
      assert.equal(await engine.request('checkRegex', { pattern: 'sensor-(\\d+)/temp' }), undefined);
      const problem = await engine.request('checkRegex', { pattern: '(?<=a)b' });
      assert.match(problem ?? '', /^Not a valid regular expression \(RE2 syntax.*lookaround/);
    } finally {
      engine.dispose();
    }
  });

  it('runs the local broker and the simulator for the devtools role', async () => {
    const devtools = new DevtoolsClient(WORKERS);
    try {
      const status = await devtools.request('status', {});
      assert.deepEqual(status.broker.running, false);
      assert.deepEqual(status.simulator, { running: false, messagesSent: 0 });
    } finally {
      await devtools.close(5000);
    }
  });

  it('ends a thread started without a role with an error that says so', async () => {
    const worker = new Worker(WORKERS, { workerData: { idBase: 0 } });
    const error = await new Promise<Error>((resolve, reject) => {
      worker.once('error', resolve);
      worker.once('exit', (code) => reject(new Error(`exited with ${code} and no error`)));
    });
    assert.match(error.message, /without a known workerData\.role \(got undefined\)/);
    await worker.terminate();
  });
});
