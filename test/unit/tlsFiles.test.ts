import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, constants, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TLS_FILE_BYTES, readTlsFile, resolveTlsPath, TlsFileError } from '../../src/worker/tlsFiles';

/** Every read here answers within this, or the test fails: a reader that blocks must not hang the suite. */
const PROMPT_MS = 2000;

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROMPT_MS} ms`)), PROMPT_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The reader's refusal, within PROMPT_MS; fails if it read the file. */
async function refusal(read: Promise<Buffer>, what: string): Promise<string> {
  const outcome = await within(
    read.then(
      (bytes) => ({ bytes }),
      (error: unknown) => ({ error }),
    ),
    what,
  );
  if ('bytes' in outcome) assert.fail(`${what}: read ${outcome.bytes.length} bytes instead of refusing`);
  assert.ok(outcome.error instanceof TlsFileError, `${what}: ${String(outcome.error)}`);
  return outcome.error.message;
}

describe('TLS files (read in the engine, bounded)', function () {
  this.timeout(10_000);
  let dir: string;
  let fifo: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-tls-'));
    fifo = join(dir, 'ca.fifo');
    execFileSync('mkfifo', [fifo]);
  });
  after(() => {
    // A reader left blocked on the FIFO (a broken guard) is released by a writer opening and closing it.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waits: nothing to release.
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a regular file', async () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, '-----BEGIN CERTIFICATE-----\n');
    assert.equal(String(await within(readTlsFile('caFile', path), 'a regular file')), '-----BEGIN CERTIFICATE-----\n');
  });

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const message = await refusal(readTlsFile('caFile', fifo), 'the FIFO');
    assert.equal(message, `CA certificate: ${fifo} is not a regular file (a named pipe).`);
  });

  it('refuses /dev/zero (a device: no size, no end)', async () => {
    const message = await refusal(readTlsFile('keyFile', '/dev/zero'), '/dev/zero');
    assert.equal(message, 'Client key: /dev/zero is not a regular file (a character device).');
  });

  it('refuses a folder', async () => {
    const message = await refusal(readTlsFile('certFile', dir), 'a folder');
    assert.equal(message, `Client certificate: ${dir} is not a regular file (a folder).`);
  });

  it('refuses a file over 1 MiB, saying how big it is', async () => {
    const path = join(dir, 'huge.pem');
    writeFileSync(path, Buffer.alloc(2 * 1024 * 1024 + 200 * 1024, 0x41));
    const message = await refusal(readTlsFile('caFile', path), 'a 2.2 MiB file');
    assert.equal(message, `CA certificate: ${path} is 2.2 MiB; a certificate or key file is at most 1.0 MiB.`);
  });

  it('takes a file of exactly the cap, and refuses one byte more', async () => {
    const path = join(dir, 'cap.pem');
    writeFileSync(path, Buffer.alloc(MAX_TLS_FILE_BYTES, 0x41));
    assert.equal((await within(readTlsFile('caFile', path), 'a file of 1 MiB')).length, MAX_TLS_FILE_BYTES);
    writeFileSync(path, Buffer.alloc(MAX_TLS_FILE_BYTES + 1, 0x41));
    assert.match(await refusal(readTlsFile('caFile', path), 'a file of 1 MiB + 1 B'), /is 1\.0 MiB; a certificate or key file is at most 1\.0 MiB\.$/);
  });

  it('says when a file does not exist', async () => {
    const path = join(dir, 'missing.pem');
    assert.equal(await refusal(readTlsFile('keyFile', path), 'a missing file'), `Client key: ${path} does not exist.`);
  });

  it('says when a file cannot be read', async () => {
    const path = join(dir, 'private.key');
    writeFileSync(path, 'secret');
    chmodSync(path, 0o000);
    const expected = `Client key: ${path} cannot be read: permission denied.`;
    if (process.getuid?.() !== 0) {
      assert.equal(await refusal(readTlsFile('keyFile', path), 'an unreadable file'), expected);
      return;
    }
    // root reads any file whatever its mode: the same reader runs as nobody (uid 65534) in a child.
    chmodSync(dir, 0o755);
    const module = join(__dirname, '..', '..', 'src', 'worker', 'tlsFiles.js');
    const script = `require(${JSON.stringify(module)}).readTlsFile('keyFile', ${JSON.stringify(path)}).then(() => console.log('read'), (error) => console.log(error.message))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { uid: 65534, gid: 65534, timeout: 5000 });
    assert.equal(stdout.trim(), expected);
  });

  it('finds ~ and ~/… in the home folder', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, 'certs'), { recursive: true });
    writeFileSync(join(home, 'certs', 'ca.pem'), 'from home');
    assert.equal(String(await within(readTlsFile('caFile', '~/certs/ca.pem', { home }), '~/certs/ca.pem')), 'from home');
    assert.equal(resolveTlsPath('caFile', '~/certs/ca.pem'), join(homedir(), 'certs', 'ca.pem'), "the user's home by default");
    assert.equal(resolveTlsPath('caFile', '~', { home }), home);
    assert.match(await refusal(readTlsFile('caFile', '~other/ca.pem', { home }), '~other'), /^CA certificate: ~other\/ca\.pem names another user's home/);
    // The message gives the path as written and where it led.
    assert.equal(await refusal(readTlsFile('caFile', '~/nothing.pem', { home }), 'a missing ~ file'), `CA certificate: ~/nothing.pem (${join(home, 'nothing.pem')}) does not exist.`);
  });

  it('reads a relative path from the workspace folder, and refuses one when no folder is open', async () => {
    const workspaceFolder = join(dir, 'project');
    mkdirSync(join(workspaceFolder, 'certs'), { recursive: true });
    writeFileSync(join(workspaceFolder, 'certs', 'client.crt'), 'from the folder');
    assert.equal(String(await within(readTlsFile('certFile', 'certs/client.crt', { workspaceFolder }), 'certs/client.crt')), 'from the folder');
    assert.equal(String(await within(readTlsFile('certFile', './certs/../certs/client.crt', { workspaceFolder }), './certs/../certs/client.crt')), 'from the folder');
    const message = await refusal(readTlsFile('certFile', 'certs/client.crt'), 'a relative path with no folder');
    assert.match(message, /^Client certificate: certs\/client\.crt is a relative path, which is read from the first workspace folder, but no folder .*is open\./);
    // An absolute path is taken as it is, whatever the folder.
    assert.equal(resolveTlsPath('caFile', '/etc/ssl/ca.pem', { workspaceFolder }), '/etc/ssl/ca.pem');
  });
});
