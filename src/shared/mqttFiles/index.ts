/**
 * `.mqtt` message files (docs/mqtt-files.md): parse, resolve variables, match expectations, print.
 * Pure code for the extension host, the engine worker and the command line: no VS Code, no Node.
 */
export * from './types';
export { parseMqttFile, blockAt, blockLabel } from './parse';
export {
  findReferences,
  variableNameProblem,
  VariableResolver,
  SYSTEM_CLOCK,
  uuidFrom,
  parseEnvironmentFile,
  environmentSources,
  readVariablesSetting,
  ENVIRONMENT_FILE_NAME,
  MAX_ENVIRONMENT_FILE_CHARS,
  MAX_RESOLUTION_WORK,
  BUILTINS,
  type BuiltinName,
  type Reference,
  type VariableOrigin,
  type VariableMap,
  type VariableSources,
  type Clock,
  type EnvironmentFile,
} from './variables';
export { HEADER_NAMES, headersFor, headerName, readHeader, relativePathProblem, type HeaderValues, type RetainedPolicy } from './headers';
export { bodyFormat, looksLikeJson } from './body';
export {
  resolveBlock,
  toPublishDraft,
  expectedFromFile,
  checkVariables,
  DEFAULT_RESPONSE_TOPIC_PREFIX,
  type ResolveContext,
  type ResolveResult,
  type ResolvedBlock,
  type ResolvedPublish,
  type ResolvedRequest,
  type ResolvedSubscribe,
  type ResolvedExpect,
  type OutgoingPayload,
  type Expectation,
  type ExpectedPayload,
} from './resolve';
export { matchExpectation, matchPayload, matchJson, previewJson, type MatchResult, type ReceivedMessage } from './match';
export { formatBlock, formatDocument, blockContent, documentContent, type BlockContent, type DocumentContent } from './format';
