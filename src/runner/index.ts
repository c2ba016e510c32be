/**
 * The `.mqtt` file runner: `runFile` runs a parsed file over an `MqttPort` (docs/mqtt-files.md,
 * "Running a file"). Pure code, no VS Code and no Node, except `MqttClientPort`
 * (mqttClientPort.ts, MQTT.js), which a host imports on its own.
 */
export * from './types';
export { runFile } from './runner';
export { createSchemaValidator, compileSchema, schemaVerdict, pointerToPath } from './jsonSchema';
