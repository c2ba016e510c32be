import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import type { LayerResult } from './layerResult';


const { EVENT_RUN_END, EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING, EVENT_SUITE_BEGIN } = Mocha.Runner.constants;

/**
 * Prints each test as it ends and, where MOCHA_RESULT_FILE is set, writes a LayerResult there at the
 * end. Inside VS Code the console is the extension host's log, so the file is how results get out.
 */
class CountingReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const result: LayerResult = { passed: 0, failed: 0, skipped: 0, lines: [] };
    const say = (line: string) => {
      result.lines.push(line);
      console.log(line);
    };
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.title) say(`${'  '.repeat(depth(suite))}${suite.title}`);
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => {
      result.passed++;
      say(`${'  '.repeat(depth(test))}✓ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
      result.skipped++;
      say(`${'  '.repeat(depth(test))}- ${test.title} (skipped)`);
    });
    runner.on(EVENT_TEST_FAIL, (test: Mocha.Test, error: Error) => {
      result.failed++;
      say(`${'  '.repeat(depth(test))}✗ ${test.title}`);
      for (const line of (error.stack ?? String(error)).split('\n').slice(0, 12)) say(`${'  '.repeat(depth(test) + 2)}${line}`);
    });
    runner.once(EVENT_RUN_END, () => {
      say(`${result.passed} passing, ${result.failed} failing, ${result.skipped} skipped`);
      const file = process.env.MOCHA_RESULT_FILE;
      if (file) writeFileSync(file, JSON.stringify(result));
    });
  }
}

function depth(runnable: Mocha.Runnable | Mocha.Suite): number {
  let level = 0;
  for (let parent = runnable.parent; parent && !parent.root; parent = parent.parent) level++;
  return level;
}

export = CountingReporter;
