import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { EngineClient } from '../../src/host/engine/engineClient';
import { findFreePort } from '../../src/devtools/localBroker';
import { newProfile } from '../../src/shared/profile';

const WORKER = join(__dirname, '..', '..', 'src', 'worker', 'engineWorker.js');

const REFUSED = 'Connection refused by {0}: no broker is listening on that port.';

/** The engine worker translates what it tells the user with the bundle the host hands it (it has no `vscode`). */
describe('The engine worker speaks the display language (a real worker thread)', function () {
  this.timeout(20_000);
  let engine: EngineClient | undefined;

  afterEach(() => {
    engine?.dispose();
    engine = undefined;
  });

  /** What a connect to a port where nothing listens is rejected with. */
  async function refusal(client: EngineClient): Promise<string> {
    const port = await findFreePort();
    try {
      await client.request('connect', {
        connectionId: 'closed',
        profile: newProfile('closed', { host: '127.0.0.1', port, mqttVersion: 4 }),
        secrets: {},
        backoff: { minDelayMs: 60_000, maxDelayMs: 60_000, stableAfterMs: 10_000 },
      });
    } catch (error) {
      return `${(error as Error).message}|127.0.0.1:${port}`;
    }
    return assert.fail('the connect to a closed port succeeded');
  }

  it('with a German bundle, a refused connection is described in German', async () => {
    engine = new EngineClient(WORKER, { l10nBundle: { [REFUSED]: 'Verbindung von {0} abgelehnt: An diesem Port lauscht kein Broker.' } });
    const [message, where] = (await refusal(engine)).split('|');
    assert.equal(message, `Verbindung von ${where} abgelehnt: An diesem Port lauscht kein Broker.`);
  });

  it('without a bundle (English, the command line), the text is the English one', async () => {
    engine = new EngineClient(WORKER);
    const [message, where] = (await refusal(engine)).split('|');
    assert.equal(message, `Connection refused by ${where}: no broker is listening on that port.`);
  });
});
