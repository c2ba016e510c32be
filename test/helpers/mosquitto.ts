import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/devtools/localBroker';

/** Certificates made with openssl for one test run: a CA, a server certificate and a client one. */
export interface TestCertificates {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  /** The client key, encrypted with `clientKeyPassphrase`. */
  clientKey: string;
  clientKeyPassphrase: string;
  /** A second CA that signed nothing the broker uses: "the wrong CA". */
  otherCaFile: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makeCertificates(dir: string): TestCertificates {
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  for (const ca of ['ca', 'other-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', ...subj(`MQTT Explorer test ${ca}`));
  }
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subj('localhost'));
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  const clientKeyPassphrase = 'client-key-passphrase';
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes-256-cbc', '-pass', `pass:${clientKeyPassphrase}`, '-out', 'client.key');
  openssl(dir, 'req', '-new', '-key', 'client.key', '-passin', `pass:${clientKeyPassphrase}`, '-out', 'client.csr', ...subj('explorer-client'));
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    clientKeyPassphrase,
    otherCaFile: join(dir, 'other-ca.crt'),
  };
}

export interface MosquittoPorts {
  plain: number;
  auth: number;
  tls: number;
  mtls: number;
  ws: number;
}

export const TEST_USER = { username: 'explorer', password: 'correct horse battery staple' };

/**
 * Debian's mosquitto on loopback, with one listener per scenario: plain, user name and password
 * TLS with a CA, mutual TLS, and websockets. It can be killed
 * and started again on the same ports, as a broker restart.
 */
export class Mosquitto {
  private process: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly ports: MosquittoPorts,
    readonly certs: TestCertificates,
    private readonly configFile: string,
  ) {}

  /** `options.extraConfig`: more lines of mosquitto.conf (`sys_interval 1` for broker statistics tests). */
  static async create(options: { extraConfig?: string[] } = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-mosquitto-'));
    const certs = makeCertificates(dir);
    const ports: MosquittoPorts = { plain: await findFreePort(), auth: await findFreePort(), tls: await findFreePort(), mtls: await findFreePort(), ws: await findFreePort() };
    execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), TEST_USER.username, TEST_USER.password], { stdio: 'pipe' });
    const config = [
      'per_listener_settings true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      // Running as root, mosquitto would switch to its own user and lose access to these files.
      'user root',
      ...(options.extraConfig ?? []),
      `listener ${ports.plain} 127.0.0.1`,
      'allow_anonymous true',
      `listener ${ports.auth} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      `listener ${ports.tls} 127.0.0.1`,
      'allow_anonymous true',
      `cafile ${certs.caFile}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      `listener ${ports.mtls} 127.0.0.1`,
      'allow_anonymous true',
      `cafile ${certs.caFile}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate true',
      `listener ${ports.ws} 127.0.0.1`,
      'protocol websockets',
      'allow_anonymous true',
      '',
    ].join('\n');
    const configFile = join(dir, 'mosquitto.conf');
    writeFileSync(configFile, config);
    const broker = new Mosquitto(dir, ports, certs, configFile);
    await broker.start();
    return broker;
  }

  /** Starts mosquitto and resolves once every listener is open (it logs "running" then). */
  async start(timeoutMs = 10_000): Promise<void> {
    const child = spawn('mosquitto', ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    this.output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (/mosquitto version [\d.]+ running/.test(this.output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Kills the broker at once (SIGKILL), as a crash: clients see their connection drop. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  get log(): string {
    return this.output;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
