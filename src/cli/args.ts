/**
 * The command line of `mqtt-explorer-test`: its arguments, read into options or refused with a
 * message that says what to write instead. Pure: no Node.
 */
import { variableNameProblem } from '../shared/mqttFiles';

export const USAGE = `Usage: mqtt-explorer-test --broker <url> [options] <file.mqtt>...

Runs .mqtt files as tests against a broker: each block in order, EXPECT blocks as checks.

Options:
  --broker <url>           mqtt://host:port (also mqtts://, ws://, wss://)   (required)
  --username <name>        user name for the broker
  --password <password>    password (better: the MQTT_PASSWORD environment variable)
  --mqtt-version <v>       3.1.1 or 5 (default 5; REQUEST blocks need 5)
  --env <name>             the environment of mqtt.env.json to use (default: $shared only)
  --var <name=value>       a variable, over the environment's (repeat for more)
  --junit <file.xml>       also write the results as JUnit XML
  --timeout <ms>           how long the broker may take to connect and to answer (default 10000)
  --ca <file.pem>          a CA certificate to trust for mqtts:// and wss://
  --cert <file.pem>        a client certificate, for brokers that require one (mutual TLS)
  --key <file.pem>         the client certificate's private key (an encrypted key's passphrase:
                           the MQTT_KEY_PASSPHRASE environment variable)
  --insecure               do not verify the broker's TLS certificate (test brokers only)
  --client-id <id>         the MQTT client id (default: mqtt-explorer-test-<random>)
  --help                   this text
  --version                the version

Exit codes: 0 every block passed; 1 a block failed or could not run; 2 bad arguments, a file that
cannot be read, or no connection to the broker.`;

export interface CliOptions {
  broker: string;
  username?: string;
  password?: string;
  mqttVersion: 4 | 5;
  environment?: string;
  variables: Map<string, string>;
  junit?: string;
  timeoutMs: number;
  ca?: string;
  cert?: string;
  key?: string;
  keyPassphrase?: string;
  insecure: boolean;
  clientId?: string;
  files: string[];
}

export type ParsedArgs = { options: CliOptions } | { help: true } | { version: true } | { error: string };

const VALUE_FLAGS = new Set(['--broker', '--username', '--password', '--mqtt-version', '--env', '--var', '--junit', '--timeout', '--ca', '--cert', '--key', '--client-id']);
const PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** Reads the arguments (without `node` and the script); `MQTT_PASSWORD` from `env` when no --password, `MQTT_KEY_PASSPHRASE` for --key. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParsedArgs {
  const values = new Map<string, string>();
  const variables = new Map<string, string>();
  const files: string[] = [];
  let insecure = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--version') return { version: true };
    if (arg === '--insecure') {
      insecure = true;
      continue;
    }
    if (arg === '--') {
      files.push(...argv.slice(index + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const flag = equals > 0 ? arg.slice(0, equals) : arg;
      if (!VALUE_FLAGS.has(flag)) return { error: `Unknown option ${flag}. See --help.` };
      let value: string | undefined;
      if (equals > 0) value = arg.slice(equals + 1);
      else {
        value = argv[index + 1];
        if (value === undefined) return { error: `${flag} needs a value. See --help.` };
        index++;
      }
      if (flag === '--var') {
        const at = value.indexOf('=');
        if (at <= 0) return { error: `--var takes name=value, not "${value}".` };
        const name = value.slice(0, at).trim();
        const problem = variableNameProblem(name);
        if (problem) return { error: `--var ${value}: ${problem}` };
        variables.set(name, value.slice(at + 1));
        continue;
      }
      if (values.has(flag)) return { error: `${flag} is given twice.` };
      values.set(flag, value);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') return { error: `Unknown option ${arg}. See --help.` };
    files.push(arg);
  }
  const broker = values.get('--broker');
  if (broker === undefined) return { error: 'Which broker? Give --broker mqtt://host:port.' };
  let url: URL;
  try {
    url = new URL(broker);
  } catch {
    return { error: `--broker "${broker}" is not a URL: write it as mqtt://host:port.` };
  }
  if (!PROTOCOLS.includes(url.protocol)) return { error: `--broker "${broker}": the protocol is one of mqtt://, mqtts://, ws:// or wss://.` };
  if (!url.hostname) return { error: `--broker "${broker}" names no host: write it as mqtt://host:port.` };
  const version = values.get('--mqtt-version') ?? '5';
  const mqttVersion = version === '5' || version === '5.0' ? 5 : version === '3.1.1' || version === '4' ? 4 : undefined;
  if (mqttVersion === undefined) return { error: `--mqtt-version is 3.1.1 or 5, not "${version}".` };
  const timeoutText = values.get('--timeout') ?? '10000';
  const timeoutMs = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || timeoutMs < 1 || timeoutMs > 3_600_000) return { error: `--timeout is a number of milliseconds from 1 to 3600000, not "${timeoutText}".` };
  if (!files.length) return { error: 'Which files? Name one or more .mqtt files after the options.' };
  const options: CliOptions = { broker, mqttVersion, variables, timeoutMs, insecure, files };
  const username = values.get('--username') ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = values.get('--password') ?? (url.password ? decodeURIComponent(url.password) : undefined) ?? env.MQTT_PASSWORD;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  // A certificate without its key (or the other way round) could never authenticate: said here, not by the TLS handshake.
  if (values.has('--cert') !== values.has('--key')) return { error: values.has('--cert') ? '--cert needs its private key: add --key <file.pem>.' : '--key needs its certificate: add --cert <file.pem>.' };
  if (values.has('--key') && env.MQTT_KEY_PASSPHRASE !== undefined) options.keyPassphrase = env.MQTT_KEY_PASSPHRASE;
  const optional = { '--env': 'environment', '--junit': 'junit', '--ca': 'ca', '--cert': 'cert', '--key': 'key', '--client-id': 'clientId' } as const;
  for (const [flag, key] of Object.entries(optional) as [keyof typeof optional, (typeof optional)[keyof typeof optional]][]) {
    const value = values.get(flag);
    if (value !== undefined) options[key] = value;
  }
  return { options };
}
