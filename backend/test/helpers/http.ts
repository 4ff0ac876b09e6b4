import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Listens on a free loopback port so tests go through real HTTP. */
export async function listen(app: Express): Promise<RunningApp> {
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
