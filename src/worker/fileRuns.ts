/**
 * Runs of `.mqtt` files on the engine's connections (the editor's CodeLens and the Test Explorer):
 * the runner (src/runner/) works here, next to the connection, and only its events and results go
 * to the extension host. Bounded: a few runs at a time, each cancellable by its id.
 */
import * as l10n from '@vscode/l10n';
import { parseMqttFile, type VariableSources } from '../shared/mqttFiles';
import { confinedReader } from '../runner/confinedFiles';
import { runFile } from '../runner/runner';
import type { RunDecoders, RunEvent, RunResult, RunSelection } from '../runner/types';
import { compactJson } from '../shared/json';
import type { ConnectionModel } from './connectionPool';
import type { DecoderState } from './decoding';
import { ConnectionRunnerPort } from './runnerPort';

/** Runs at once, over all connections: each holds subscriptions and buffers until it ends. */
export const MAX_CONCURRENT_RUNS = 8;

export interface FileRunParams {
  connectionId: string;
  /** Chosen by the host, unique among its runs: names the run's events and its cancellation. */
  runId: string;
  /** The `.mqtt` file's text as the editor has it (saved or not). */
  text: string;
  /** The file's folder on disk (payload and schema files are relative to it); absent for an unsaved or virtual file: such files are refused. */
  folder?: string;
  /** Files are read only inside it (the workspace folder; the file's own folder when there is none). */
  root?: string;
  variables?: VariableSources;
  selection?: RunSelection;
}

export class FileRuns {
  private readonly runs = new Map<string, AbortController>();

  constructor(
    private readonly emitEvent: (runId: string, event: RunEvent) => void,
    /** The bindings of mqttExplorer.decoders: `Format: decoder` blocks encode and compare with them. */
    private readonly decoders?: DecoderState,
  ) {}

  /** `Format: decoder` with the engine's bindings, on the connection's Sparkplug B state. */
  private decodersFor(model: ConnectionModel): RunDecoders | undefined {
    const state = this.decoders;
    if (!state) return undefined;
    const sparkplug = model.payloads.sparkplug;
    return {
      encode: async (topic, json) => {
        const { binding, result } = state.encode({ connectionId: model.id, topic, json, check: true }, (at, text, check) => sparkplug.encode(at, text, { check }));
        if (!result.ok) throw new Error(binding ? result.error : `${result.error}.`);
        return result.bytes;
      },
      decode: async (topic, payload) => {
        const binding = state.bindingFor(topic);
        if (!binding) return undefined;
        const decoded = state.decodeBytes(topic, payload, binding, sparkplug);
        return decoded.ok ? compactJson(decoded.value) : undefined;
      },
    };
  }

  async run(model: ConnectionModel, params: FileRunParams): Promise<RunResult> {
    if (this.runs.has(params.runId)) throw new Error(l10n.t('A run {0} is already going on.', params.runId));
    if (this.runs.size >= MAX_CONCURRENT_RUNS) throw new Error(l10n.t('{0} runs are going on already: wait for one to end, or cancel one.', MAX_CONCURRENT_RUNS));
    const controller = new AbortController();
    this.runs.set(params.runId, controller);
    try {
      const folder = params.folder;
      const readFile = folder
        ? confinedReader(folder, params.root ?? folder)
        : async (path: string) => {
            throw new Error(l10n.t('{0}: save the .mqtt file in a folder on disk first; its files are read relative to it.', path));
          };
      return await runFile(
        parseMqttFile(params.text),
        {
          port: new ConnectionRunnerPort(model.connection),
          readFile,
          variables: params.variables,
          signal: controller.signal,
          decoders: this.decodersFor(model),
          onEvent: (event) => this.emitEvent(params.runId, event),
        },
        params.selection ?? {},
      );
    } finally {
      this.runs.delete(params.runId);
    }
  }

  /** Ends a run at once (its waits stop, subscriptions are released, the rest is skipped); an unknown id is no error. */
  cancel(runId: string): void {
    this.runs.get(runId)?.abort();
  }

  dispose(): void {
    for (const controller of this.runs.values()) controller.abort();
  }
}
