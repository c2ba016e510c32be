/**
 * `mqtt-explorer-test`: runs `.mqtt` files against a broker from a terminal or CI, with the same
 * runner as the extension. Reads every file (and its mqtt.env.json) first, connects once, runs the
 * files in order, prints each block as it finishes, and writes JUnit XML on request.
 * Exit codes: 0 all passed; 1 a block failed or could not run; 2 usage, file or connection errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { environmentSources, ENVIRONMENT_FILE_NAME, MAX_ENVIRONMENT_FILE_CHARS, MAX_FILE_CHARS, parseEnvironmentFile, parseMqttFile, type MqttFileDocument, type VariableSources } from '../shared/mqttFiles';
import { runFile } from '../runner/runner';
import { MqttClientPort } from '../runner/mqttClientPort';
import { parseArgs, USAGE, type CliOptions } from './args';
import { confinedReader, confinementRoot, findUp, readCapped } from './files';
import { blockLines, COLOURS, fileEndLines, fileLines, junitXml, PLAIN, summaryLine, type FileReport } from './report';

export const EXIT_PASSED = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  colour: boolean;
  /** Aborting (Ctrl+C) ends the run: waits stop, subscriptions are released, the rest is skipped. */
  signal?: AbortSignal;
  version?: string;
}

interface PreparedFile {
  report: FileReport;
  document?: MqttFileDocument;
  folder?: string;
  root?: string;
  variables?: VariableSources;
}

function at(line: number, character: number): string {
  return `line ${line + 1}, column ${character + 1}`;
}

/** Reads and parses one file and its environment; what goes wrong is the file's error (exit 2). */
async function prepare(path: string, options: CliOptions, io: CliIo): Promise<PreparedFile> {
  const absolute = resolve(io.cwd, path);
  const shown = relative(io.cwd, absolute) || path;
  const report: FileReport = { path: shown };
  const notes: string[] = [];
  try {
    const root = await confinementRoot(path, io.cwd);
    // Characters are at most 3 UTF-8 bytes here (4-byte ones are 2 UTF-16 units): a byte cap that never refuses a file the parser would take.
    const bytes = await readCapped(absolute, MAX_FILE_CHARS * 3, shown);
    const document = parseMqttFile(new TextDecoder().decode(bytes));
    for (const diagnostic of document.diagnostics) {
      if (diagnostic.block === undefined && diagnostic.severity === 'error') notes.push(`${at(diagnostic.range.start.line, diagnostic.range.start.character)}: ${diagnostic.message}`);
    }
    const folder = dirname(absolute);
    const environmentPath = await findUp(folder, root, ENVIRONMENT_FILE_NAME);
    let environmentFile;
    if (environmentPath) {
      const text = new TextDecoder().decode(await readCapped(environmentPath, MAX_ENVIRONMENT_FILE_CHARS * 3, relative(io.cwd, environmentPath)));
      environmentFile = parseEnvironmentFile(text);
      for (const diagnostic of environmentFile.diagnostics) notes.push(`${relative(io.cwd, environmentPath)}, ${at(diagnostic.range.start.line, diagnostic.range.start.character)}: ${diagnostic.message}`);
    }
    const sources = environmentSources(environmentFile, options.environment);
    if ('error' in sources) {
      report.error = sources.error;
      report.notes = notes;
      return { report };
    }
    const variables: VariableSources = { ...sources.sources };
    if (options.variables.size) {
      // --var beats the environment file (and, like it, yields to the .mqtt file's own variables).
      variables.environment = new Map([...(sources.sources.environment instanceof Map ? sources.sources.environment : Object.entries(sources.sources.environment ?? {})), ...options.variables]);
      variables.environmentName = options.environment ? `${options.environment} with --var` : '--var';
    }
    if (notes.length) report.notes = notes;
    return { report, document, folder, root, variables };
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
    if (notes.length) report.notes = notes;
    return { report };
  }
}

/** The broker URL without credentials (they go as options, and never into the output). */
function brokerWithoutCredentials(broker: string): { url: string; shown: string } {
  const url = new URL(broker);
  url.username = '';
  url.password = '';
  return { url: url.toString(), shown: `${url.protocol}//${url.host}` };
}

async function writeJunit(path: string, reports: readonly FileReport[], io: CliIo, startedAt: Date, durationMs: number): Promise<boolean> {
  const target = resolve(io.cwd, path);
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, junitXml(reports, startedAt.toISOString(), durationMs));
    return true;
  } catch (error) {
    io.stderr(`Could not write the JUnit XML to ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  }
}

/** Runs the command line; resolves with the exit code. Never rejects. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv, io.env);
  if ('help' in parsed) {
    io.stdout(`${USAGE}\n`);
    return EXIT_PASSED;
  }
  if ('version' in parsed) {
    io.stdout(`${io.version ?? 'dev'}\n`);
    return EXIT_PASSED;
  }
  if ('error' in parsed) {
    io.stderr(`mqtt-explorer-test: ${parsed.error}\n`);
    return EXIT_USAGE;
  }
  const options = parsed.options;
  const style = io.colour ? COLOURS : PLAIN;
  const startedAt = new Date();
  const started = Date.now();
  const prepared: PreparedFile[] = [];
  for (const file of options.files) prepared.push(await prepare(file, options, io));
  const reports = prepared.map((file) => file.report);
  const runnable = prepared.filter((file) => file.document);
  let port: MqttClientPort | undefined;
  let fileErrors = prepared.some((file) => file.report.error !== undefined);
  if (runnable.length) {
    const broker = brokerWithoutCredentials(options.broker);
    try {
      const pem = (file: string | undefined) => (file ? readCapped(resolve(io.cwd, file), 1024 * 1024, file) : undefined);
      const [ca, cert, key] = [await pem(options.ca), await pem(options.cert), await pem(options.key)];
      port = await MqttClientPort.connect({
        url: broker.url,
        mqttVersion: options.mqttVersion,
        connectTimeoutMs: options.timeoutMs,
        rejectUnauthorized: !options.insecure,
        ...(options.username !== undefined ? { username: options.username } : {}),
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
        ...(ca ? { ca } : {}),
        ...(cert && key ? { cert, key } : {}),
        ...(options.keyPassphrase !== undefined ? { passphrase: options.keyPassphrase } : {}),
      });
    } catch (error) {
      const reason = `No connection to ${broker.shown}: ${error instanceof Error ? error.message : String(error)}`;
      io.stderr(`mqtt-explorer-test: ${reason}\n`);
      for (const file of runnable) file.report.error = reason;
      fileErrors = true;
    }
  }
  try {
    for (const file of prepared) {
      io.stdout(`${fileLines(file.report, style).join('\n')}\n`);
      if (!port || !file.document || file.report.error !== undefined) continue;
      file.report.run = await runFile(file.document, {
        port,
        readFile: confinedReader(file.folder!, file.root!),
        ...(file.variables ? { variables: file.variables } : {}),
        brokerTimeoutMs: options.timeoutMs,
        ...(io.signal ? { signal: io.signal } : {}),
        onEvent: (event) => {
          if (event.type === 'blockFinished') io.stdout(`${blockLines(event.result, style).join('\n')}\n`);
        },
      });
      const end = fileEndLines(file.report.run, style);
      if (end.length) io.stdout(`${end.join('\n')}\n`);
    }
  } finally {
    await port?.close();
  }
  const durationMs = Date.now() - started;
  io.stdout(`\n${summaryLine(reports, style, durationMs)}\n`);
  if (options.junit !== undefined && !(await writeJunit(options.junit, reports, io, startedAt, durationMs))) fileErrors = true;
  if (fileErrors) return EXIT_USAGE;
  return reports.every((report) => report.run?.passed) ? EXIT_PASSED : EXIT_FAILED;
}
