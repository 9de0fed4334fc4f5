import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo, Server } from 'node:net';

/** The plumbing the fake provider servers (fakeFcm, fakeHms, fakeWebPush, fakeApns) share. */

/** Listens on 127.0.0.1, on `port` (0: any free one), and answers with the port it got. */
export async function listenLocal(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(port, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** Stops listening and drops every connection, hanging ones included. */
export async function closeServer(server: http.Server | https.Server | undefined): Promise<void> {
  if (server === undefined) return;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/** A fake's plain HTTP server on 127.0.0.1: started on demand, closed with every connection. */
export class LocalHttpServer {
  private server: http.Server | undefined;

  constructor(private readonly listener: http.RequestListener) {}

  /** Listens on `port` (0: any free one) and answers with the port it got. */
  async start(port: number): Promise<number> {
    const server = http.createServer(this.listener);
    this.server = server;
    return listenLocal(server, port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}

/**
 * Reads a request's body, then hands it over with when the request arrived. A client that goes
 * away mid-request (a sender's deadline) is no error of the fake's.
 */
export function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  onBody: (body: Buffer, receivedAt: number) => void,
): void {
  const receivedAt = Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('error', () => undefined);
  res.on('error', () => undefined);
  req.on('end', () => {
    onBody(Buffer.concat(chunks), receivedAt);
  });
}

/** The JSON in `text`, or undefined when it is none. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
