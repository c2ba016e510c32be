/**
 * The `.mqtt` file runner: `runFile` runs a parsed file over an `MqttPort` (docs/mqtt-files.md,
 * "Running a file"). Pure code, no VS Code and no Node, except `MqttClientPort`
 * (mqttClientPort.ts, MQTT.js), which a host imports on its own.
 *
 * Its own texts stay English on purpose (no l10n.t here): the runner is shared with the command-line
 * tool (src/cli), whose output goes to CI logs that people search and compare across machines.
 * What it takes from src/shared/mqttFiles and src/worker/errors is translated when it runs in the
 * engine worker and stays English on the command line, which configures no bundle.
 */
export * from './types';
export { runFile } from './runner';
export { createSchemaValidator, compileSchema, schemaVerdict, pointerToPath } from './jsonSchema';
