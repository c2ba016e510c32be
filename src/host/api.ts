import type { ConnectionRegistry } from './engine/connectionRegistry';
import type { ConnectionEditors } from './connectionEditor';
import type { SchemaCatalog } from './schemaCatalog';
import type { SchemaDecorations } from './schemaDecorations';
import type { DecoderCatalog } from './decoderCatalog';
import type { ProfileStore } from './profileStore';
import type { Prompts } from './prompts';
import type { SecretGate } from './secretGate';
import type { LocalDevelopment } from './localDevelopment';
import type { Settings } from './settings';
import type { TopicPanels } from './topicPanel';
import type { MqttFiles } from './mqttFiles/language';
import type { MqttFileTests } from './mqttFiles/testing';
import type { MqttFileRuns } from './mqttFiles/runs';
import type { Recordings } from './recordings';
import type * as vscode from 'vscode';
import type { TopicsElement, TopicsTreeProvider } from './topicsView';
import type { RequestsElement, RequestsTreeProvider } from './requestsView';
import type { Walkthrough } from './walkthrough';
import type { ProgressTracker } from './progress';
import type { FileQuestions, ReplayController } from './replay';

/**
 * The real objects `activate` builds, for the extension's own extension-host tests only: the
 * module's `testInternals()` returns them when VS Code runs the extension in ExtensionMode.Test.
 * `activate` itself returns nothing, so another extension's `exports` holds no registry, no
 * profile store and no secret.
 */
export interface TestInternals {
  readonly walkthrough: Walkthrough;
  readonly progress: ProgressTracker;
  readonly registry: ConnectionRegistry;
  readonly topicsProvider: TopicsTreeProvider;
  readonly topicsView: vscode.TreeView<TopicsElement>;
  readonly requestsProvider: RequestsTreeProvider;
  readonly requestsView: vscode.TreeView<RequestsElement>;
  readonly localDevelopment: LocalDevelopment;
  readonly panels: TopicPanels;
  readonly profiles: ProfileStore;
  readonly editors: ConnectionEditors;
  readonly settings: Settings;
  /** The quick picks and modal questions commands ask through: a test replaces them to answer. */
  readonly prompts: Prompts;
  /** Where every connect reads its secrets. */
  readonly secretGate: SecretGate;
  /** The decoders' setting and schema files, as sent to the engine. */
  readonly decoders: DecoderCatalog;
  /** The JSON Schemas' setting and files, as sent to the engine. */
  readonly schemas: SchemaCatalog;
  /** The Topics view's JSON Schema marks (a FileDecorationProvider). */
  readonly schemaDecorations: SchemaDecorations;
  /** The .mqtt language support: a runner of REQUEST, SUBSCRIBE and EXPECT blocks plugs in with setRunner. */
  readonly mqttFiles: MqttFiles;
  /** `.mqtt` files in the Test Explorer. */
  readonly mqttFileTests: MqttFileTests;
  /** Runs of `.mqtt` files in the engine. */
  readonly mqttFileRuns: MqttFileRuns;
  /** Recordings to files (issue 15): the running ones and the status bar item's text. */
  readonly recordings: Recordings;
  /** Replays of recordings (issue 15). */
  readonly replays: ReplayController;
  /** The questions Replay Recording and Export Snapshot ask (input boxes, file dialogs): a test replaces them to answer. */
  readonly fileQuestions: FileQuestions;
}

