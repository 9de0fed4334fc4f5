/**
 * An HTTP proxy between a PBX (Asterisk, Kamailio) and the emulated `api` function: it records
 * every request exactly as the PBX's libcurl sent it (the raw header lines,
 * duplicates included, which Node's parsed `headers` would fold) and forwards
 * it unchanged. Set `unavailable` and it answers 503 itself, as Google's front
 * end does when the function cannot be reached. Set `delayMs` and it forwards each request
 * that much later: a slow callwake (a cold instance, a slow push provider).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  url: string;
  /** [name, value] pairs in the order received. */
  headers: [string, string][];
  body: string;
  at: number;
  status?: number;
  answeredAt?: number;
  /** It reached callwake (not answered by the proxy itself, nor lost on the way). */
  forwarded?: boolean;
  /** When it was sent on to callwake (after `delayMs`). */
  forwardedAt?: number;
  /** When callwake's answer began to come back (before the PBX can have any of it). */
  respondedAt?: number;
}

export class RecordingProxy {
  readonly requests: Recorded[] = [];
  unavailable = false;
  delayMs = 0;
  private server: http.Server | undefined;

  constructor(private readonly target: URL) {}

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      this.handle(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(0, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers: [string, string][] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    }
    const record: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers,
      body: '',
      at: Date.now(),
    };
    this.requests.push(record);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      record.body = body.toString('utf8');
      const answer = (status: number, text: string, type: string) => {
        record.status = status;
        record.answeredAt = Date.now();
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      if (this.unavailable) {
        answer(503, 'error=unavailable&message=Service%20Unavailable', 'text/plain');
        return;
      }
      if (this.delayMs > 0) {
        setTimeout(() => {
          this.forward(req, res, record, body, answer);
        }, this.delayMs);
      } else {
        this.forward(req, res, record, body, answer);
      }
    });
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: Recorded,
    body: Buffer,
    answer: (status: number, text: string, type: string) => void,
  ): void {
    record.forwardedAt = Date.now();
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: `${this.target.pathname.replace(/\/$/, '')}${req.url ?? ''}`,
        // The raw lines, as received (a header sent twice is forwarded twice).
        headers: req.rawHeaders,
      },
      (reply) => {
        record.respondedAt = Date.now();
        record.status = reply.statusCode;
        record.forwarded = true;
        res.writeHead(reply.statusCode ?? 502, reply.rawHeaders);
        reply.pipe(res);
        reply.on('end', () => {
          record.answeredAt = Date.now();
        });
      },
    );
    upstream.on('error', (err) => {
      answer(502, `error=bad_gateway&message=${encodeURIComponent(err.message)}`, 'text/plain');
    });
    upstream.end(body);
  }
}

/** Every Authorization header line of a request (name matched case-insensitively). */
export const authorizations = (r: Recorded) =>
  r.headers.filter(([name]) => name.toLowerCase() === 'authorization').map(([, v]) => v);

export const header = (r: Recorded, name: string) =>
  r.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
