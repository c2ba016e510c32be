import { parentPort, workerData } from 'node:worker_threads';
import * as l10n from '@vscode/l10n';
import { EngineCore } from './engineCore';
import { setIdBase } from './nodeIndex';
import { lowerThisThreadPriority } from './threadPriority';
import { Endpoint, portTransport } from '../shared/rpc';
import type { EngineHostApi, EngineWorkerApi, EngineWorkerData } from '../shared/engineProtocol';

// The engine worker: MQTT clients and topic models run here, off the extension host's thread, which
// other extensions share. It answers the host's requests and posts coalesced change reports.

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');
// Under a flood the extension host's thread, which every extension shares, gets the cores first.
lowerThisThreadPriority();
const data = (workerData ?? {}) as Partial<EngineWorkerData>;
// Before any request: the worker's user-facing texts translate with the host's bundle (no `vscode` here).
l10n.config({ contents: data.l10nBundle ?? {} });
setIdBase(typeof data.idBase === 'number' ? data.idBase : 0);
// Events are emitted only after a request connected something, so `endpoint` exists by then.
const core = new EngineCore((event) => endpoint.emit('engine', event), { testHooks: data.testHooks === true });
const endpoint = new Endpoint<EngineWorkerApi, EngineHostApi>(portTransport(port), { peer: 'the extension host', handlers: core.handlers });
