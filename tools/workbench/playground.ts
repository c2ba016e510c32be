import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SIMULATOR_PROTO, SIMULATOR_PROTO_PATH, simulatorDecoderBindings } from '../../src/devtools/encodedDevices';

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
  };
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  const proto = join(folder, ...SIMULATOR_PROTO_PATH.split('/'));
  mkdirSync(dirname(proto), { recursive: true });
  writeFileSync(proto, SIMULATOR_PROTO);
  writeFileSync(
    join(folder, 'README.md'),
    `# MQTT Explorer playground\n\nThe local broker runs on 127.0.0.1:${brokerPort} with the device simulator publishing to it.\nOpen the MQTT view in the activity bar.\n\n` +
      `\`.vscode/settings.json\` binds the simulator's Protobuf sensor to \`${SIMULATOR_PROTO_PATH}\` and its CBOR sensor to the CBOR decoder (\`mqttExplorer.decoders\`); ` +
      'the Sparkplug B edge node under `spBv1.0/` is decoded without a binding.\n',
  );
}
