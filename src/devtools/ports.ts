import * as l10n from '@vscode/l10n';
import { createServer } from 'node:net';

// Apart from localBroker.ts so that the extension host can name a taken port and offer a free one
// without bundling aedes: the broker itself runs in the devtools worker.

/** Thrown by LocalBroker.start (and the devtools worker's startBroker) when the port is held by another process. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(l10n.t('Port {0} on 127.0.0.1 is already in use.', port));
    this.name = 'PortInUseError';
  }
}

/** Asks the OS for a port that is free on loopback right now. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
