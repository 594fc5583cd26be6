import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrailmarkQueryClient } from '../src/index.js';

/** The server binary under test (`make test-node-sdk` sets it to the worktree's build). */
export const BINARY = process.env.TRAILMARK_BIN;

/** A free loopback port. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * One real `trailmark serve` process on a temporary data directory, TLS with the
 * development CA it generates (found like Tests/e2e/server.py `ca_file()`), keys made with
 * `trailmark keys create` as a user would.
 */
export class RealServer {
  constructor() {
    this.dataDir = mkdtempSync(join(tmpdir(), 'tm-node-e2e-'));
    /** @type {import('node:child_process').ChildProcess | null} */
    this.proc = null;
    this.port = 0;
    this.log = '';
  }

  get origin() {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Creates a key of `kind` (secret | read | public) in project `project`. */
  createKey(kind, project = 'node') {
    const out = execFileSync(/** @type {string} */ (BINARY), ['keys', 'create', '--data', this.dataDir, '--project', project, '--kind', kind], { encoding: 'utf8' });
    const keys = out.split('\n').map((l) => l.trim()).filter((l) => /^(sk|pk|rk)_/.test(l));
    if (keys.length === 0) throw new Error(`no key printed: ${out}`);
    return keys[keys.length - 1].split(/\s+/)[0];
  }

  /** The development CA the server wrote into its data directory. @returns {string} */
  caFile() {
    const walk = (dir) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          const found = walk(path);
          if (found) return found;
        } else if (name === 'ca.pem' || name === 'dev-ca.pem' || name === 'ca.crt') {
          return path;
        }
      }
      return undefined;
    };
    const found = walk(this.dataDir);
    if (!found) throw new Error(`no development CA in ${this.dataDir}`);
    return found;
  }

  /** Starts the server and waits until `/v1/health` says ok (polling, at most `timeoutMs`). */
  async start(timeoutMs = 60_000) {
    this.port = await freePort();
    this.proc = spawn(/** @type {string} */ (BINARY), ['serve', '--data', this.dataDir, '--port', String(this.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.log = (this.log + chunk.toString()).slice(-8000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    let exited = null;
    this.proc.on('exit', (code) => {
      exited = code;
    });
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`server exited with ${exited}: ${this.log}`);
      if (existsSync(join(this.dataDir, 'tls'))) {
        try {
          const client = new TrailmarkQueryClient({ host: this.origin, key: 'none', ca: this.caFile(), maxRetries: 0, timeoutMs: 2000 });
          try {
            const health = await client.health();
            if (health.status === 'ok') return;
            last = health;
          } finally {
            await client.close();
          }
        } catch (error) {
          last = error;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`server not healthy after ${timeoutMs} ms: ${last}; ${this.log}`);
  }

  /** SIGTERM, wait for exit, remove the data directory. */
  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((resolve) => proc.on('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
