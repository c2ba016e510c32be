import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../src/host/engine/engineClient';
import { DevtoolsClient } from '../../src/devtools/devtoolsClient';
import { BACKGROUND_NICE_STEPS } from '../../src/worker/threadPriority';

/** Each thread of this process, with its nice value (field 19 of /proc/self/task/<tid>/stat). */
function threads(): Map<number, number> {
  const found = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return found;
}

describe('Worker threads run below the extension host\'s thread', function () {
  this.timeout(20_000);
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  const mainNice = () => threads().get(process.pid) as number;
  const expected = () => Math.min(19, mainNice() + BACKGROUND_NICE_STEPS);
  /** The threads that appeared since `before` with the background nice value. */
  const loweredSince = (before: Map<number, number>) => [...threads()].filter(([tid, nice]) => !before.has(tid) && nice === expected());

  it('the engine worker lowers its own thread, and only it: the calling thread keeps its priority', async () => {
    const nice = mainNice();
    const before = threads();
    const engine = new EngineClient(join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js'));
    try {
      // Answered: the worker's script has run past its start.
      await engine.request('ping', {});
      assert.equal(loweredSince(before).length, 1, `one new thread at nice ${expected()}: ${JSON.stringify([...threads()])}`);
      assert.equal(mainNice(), nice, 'the calling thread is not lowered');
    } finally {
      engine.dispose();
    }
  });

  it('the devtools worker (local broker, simulator) lowers its own thread too', async () => {
    const before = threads();
    const devtools = new DevtoolsClient(join(__dirname, '..', '..', 'src', 'devtools', 'devtoolsWorker.js'));
    try {
      await devtools.request('startBroker', { port: 0 });
      assert.equal(loweredSince(before).length, 1, `one new thread at nice ${expected()}`);
    } finally {
      await devtools.close(5000);
    }
  });
});
