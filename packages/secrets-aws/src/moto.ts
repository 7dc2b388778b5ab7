import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** Test support (not exported from the package): starts `moto_server` on a free loopback port. */
export const motoServerPath = (): string | undefined =>
  (process.env['PATH'] ?? '')
    .split(delimiter)
    .map((d) => join(d, 'moto_server'))
    .find((p) => existsSync(p));

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export const startMoto = async (executable: string, env: NodeJS.ProcessEnv = {}): Promise<Moto> => {
  const port = await freePort();
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 25_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error('moto_server exited during start-up');
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('moto_server did not start listening within 25 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};
