import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SIMULATOR_PROTO, SIMULATOR_PROTO_PATH, simulatorDecoderBindings } from '../../src/devtools/encodedDevices';
import { REPO_ROOT } from './testHost';

/** The playground's example files, kept as files in the repository so they read (and highlight) as a user's would. */
const EXAMPLES = join(REPO_ROOT, 'tools', 'workbench', 'examples');
/** Where the example `.mqtt` file and the telemetry schema go in the playground, and the filter the schema is bound to. */
export const PLAYGROUND_MQTT_FILE = 'thermostat.mqtt';
export const PLAYGROUND_SCHEMA_FILE = 'schemas/thermostat.schema.json';
export const PLAYGROUND_SCHEMA_FILTER = 'fleet/+/thermostat/+/telemetry';

/** The example `.mqtt` file, its `# @connection` naming the local broker's connection on that port. */
export function playgroundMqttFile(brokerPort: number): string {
  return readFileSync(join(EXAMPLES, 'thermostat.mqtt'), 'utf8').replace('{{connection}}', `Local broker (127.0.0.1:${brokerPort})`);
}

export function playgroundSchema(): string {
  return readFileSync(join(EXAMPLES, 'thermostat.schema.json'), 'utf8');
}

/**
 * The main job's playground folder: settings that start the local broker and the simulator, and bind
 * the simulator's Protobuf and CBOR topics to their decoders, with the .proto file the Protobuf binding
 * names (the simulator's own schema text, so the two cannot differ). Sparkplug B needs no binding.
 */
export function writePlayground(folder: string, brokerPort: number): void {
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  const settings = {
    'mqttExplorer.localBroker.autoStart': true,
    'mqttExplorer.localBroker.port': brokerPort,
    'mqttExplorer.simulator.autoStart': true,
    'mqttExplorer.decoders': simulatorDecoderBindings(),
    'mqttExplorer.schemas': [{ filter: PLAYGROUND_SCHEMA_FILTER, schema: PLAYGROUND_SCHEMA_FILE }],
  };
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  const proto = join(folder, ...SIMULATOR_PROTO_PATH.split('/'));
  mkdirSync(dirname(proto), { recursive: true });
  writeFileSync(proto, SIMULATOR_PROTO);
  writeFileSync(join(folder, PLAYGROUND_MQTT_FILE), playgroundMqttFile(brokerPort));
  mkdirSync(join(folder, dirname(PLAYGROUND_SCHEMA_FILE)), { recursive: true });
  writeFileSync(join(folder, PLAYGROUND_SCHEMA_FILE), playgroundSchema());
  writeFileSync(
    join(folder, 'README.md'),
    `# MQTT Explorer playground\n\nThe local broker runs on 127.0.0.1:${brokerPort} with the device simulator publishing to it.\nOpen the MQTT view in the activity bar.\n\n` +
      `\`.vscode/settings.json\` binds the simulator's Protobuf sensor to \`${SIMULATOR_PROTO_PATH}\` and its CBOR sensor to the CBOR decoder (\`mqttExplorer.decoders\`); ` +
      'the Sparkplug B edge node under `spBv1.0/` is decoded without a binding.\n\n' +
      `\`${PLAYGROUND_MQTT_FILE}\` holds messages and checks for the simulator's thermostat: send a block with the CodeLens above it, or run the file from the Test Explorer (its last check fails on purpose). ` +
      `\`${PLAYGROUND_SCHEMA_FILE}\` is the thermostats' telemetry schema (\`mqttExplorer.schemas\`); messages warmer than 22.5 °C are marked invalid.\n`,
  );
}
