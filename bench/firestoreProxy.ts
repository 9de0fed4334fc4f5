/**
 * A counting proxy between the served functions and the Firestore emulator: every gRPC call a
 * function makes passes through it, and it counts what Firestore would bill from the messages
 * themselves (decoded with the client's own protobuf descriptors), by function, RPC and
 * collection. The functions reach it through bench/workerPreload.cjs, which points each
 * Functions emulator worker's FIRESTORE_EMULATOR_HOST here and tags its requests with the
 * function's name. What counts, as Firestore bills it:
 *
 * - reads: each document a BatchGetDocuments or RunQuery response returns, or says is missing;
 *   a query that returns nothing is one read (counted in `emptyQueries`); an aggregation is one
 *   read per 1,000 index entries it matched, at least one; a listener, each document change it
 *   delivers.
 * - writes: each write of a Commit or BatchWrite that succeeded (a create that found its
 *   document commits nothing).
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

/** The header bench/workerPreload.cjs adds to each request: which function sent it. */
export const FUNCTION_HEADER = 'x-callwake-bench-function';

export interface OpRow {
  /** The function that made the call (its FUNCTION_TARGET), or "other". */
  fn: string;
  /** The RPC: Commit, RunQuery, RunAggregationQuery, BatchGetDocuments, Listen, ... */
  rpc: string;
  /** The collection, ids replaced by `*`: tenants/∗/calls. */
  collection: string;
  calls: number;
  reads: number;
  writes: number;
  emptyQueries: number;
}

const requireHere = createRequire(__filename);

/** The Firestore v1 messages, from the descriptors @google-cloud/firestore ships. */
function firestoreTypes() {
  const dir = join(dirname(requireHere.resolve('@google-cloud/firestore')), '..', 'protos');
  const root = protobuf.Root.fromJSON(
    JSON.parse(readFileSync(join(dir, 'v1.json'), 'utf8')) as protobuf.INamespace,
  );
  const type = (name: string) => root.lookupType(`google.firestore.v1.${name}`);
  return {
    CommitRequest: type('CommitRequest'),
    CommitResponse: type('CommitResponse'),
    BatchWriteRequest: type('BatchWriteRequest'),
    BatchWriteResponse: type('BatchWriteResponse'),
    BatchGetDocumentsRequest: type('BatchGetDocumentsRequest'),
    BatchGetDocumentsResponse: type('BatchGetDocumentsResponse'),
    RunQueryRequest: type('RunQueryRequest'),
    RunQueryResponse: type('RunQueryResponse'),
    RunAggregationQueryRequest: type('RunAggregationQueryRequest'),
    RunAggregationQueryResponse: type('RunAggregationQueryResponse'),
    ListenRequest: type('ListenRequest'),
    ListenResponse: type('ListenResponse'),
  };
}

/** `projects/p/databases/d/documents/tenants/T/calls/U` → `tenants/*\/calls`. */
export function collectionOf(name: string): string {
  const path = name.split('/documents')[1]?.replace(/^\//, '') ?? '';
  const segments = path ? path.split('/') : [];
  const shape = segments.map((s, i) => (i % 2 === 1 ? '*' : s));
  // A document name ends with its id; a query's parent is a document (or the root).
  return shape.slice(0, shape.length - 1).join('/') || '(root)';
}

/** Splits a gRPC body into its length-prefixed messages as bytes arrive. */
class Frames {
  private buffer = Buffer.alloc(0);
  constructor(private readonly onMessage: (message: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 5 + length) return;
      // Byte 0 is the compressed flag: the Node client never compresses (grpc-js's default).
      this.onMessage(this.buffer.subarray(5, 5 + length));
      this.buffer = this.buffer.subarray(5 + length);
    }
  }
}

type Decoded = Record<string, unknown>;
const asList = (value: unknown): Decoded[] => (Array.isArray(value) ? (value as Decoded[]) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

export class FirestoreProxy {
  private readonly rows = new Map<string, OpRow>();
  private readonly types = firestoreTypes();
  private server: http2.Http2Server | null = null;
  private upstream: http2.ClientHttp2Session | null = null;
  /** Calls forwarded and not yet counted, and who waits for there to be none. */
  private open = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly target: string) {}

  /**
   * Resolves once every call forwarded so far is counted. A client may see a call's answer
   * before the proxy counts it: a query resolves on its last message (RunQueryResponse.done),
   * and the proxy counts at the trailers after it.
   */
  settled(timeoutMs = 5_000): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`the Firestore proxy: ${this.open} calls still open after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private closed(): void {
    this.open -= 1;
    if (this.open > 0) return;
    for (const wake of this.idle.splice(0)) wake();
  }

  /** Counts from now on only. */
  reset(): void {
    this.rows.clear();
  }

  /** What was counted since the last reset. */
  snapshot(): OpRow[] {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  private row(fn: string, rpc: string, collection: string): OpRow {
    const key = `${fn}\u0000${rpc}\u0000${collection}`;
    let row = this.rows.get(key);
    if (!row) {
      row = { fn, rpc, collection, calls: 0, reads: 0, writes: 0, emptyQueries: 0 };
      this.rows.set(key, row);
    }
    return row;
  }

  private session(): http2.ClientHttp2Session {
    if (!this.upstream || this.upstream.closed || this.upstream.destroyed) {
      this.upstream = http2.connect(`http://${this.target}`);
      this.upstream.on('error', () => undefined);
    }
    return this.upstream;
  }

  async listen(port: number): Promise<void> {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      this.forward(stream, headers);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    this.upstream?.close();
    await new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }

  private forward(down: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const rpc = str(headers[':path']).split('/').pop() ?? '';
    const fn = str(headers[FUNCTION_HEADER]) || 'other';
    const outgoing: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name !== FUNCTION_HEADER && value !== undefined) outgoing[name] = value;
    }
    const count = this.counter(fn, rpc);
    const up = this.session().request(outgoing);
    const requests = new Frames(count.request);
    const responses = new Frames(count.response);
    let trailers: http2.IncomingHttpHeaders = {};
    // A trailers-only answer (an error) ends the stream too: counted once, by its status.
    let counted = false;
    this.open += 1;
    const done = (status: string) => {
      if (counted) return;
      counted = true;
      count.done(status);
      this.closed();
    };
    down.on('data', (chunk: Buffer) => {
      requests.push(chunk);
      up.write(chunk);
    });
    down.on('end', () => up.end());
    down.on('close', () => {
      if (!up.closed) up.close();
      // A call that died uncounted (reset, upstream error) is not waited for.
      if (!counted) {
        counted = true;
        this.closed();
      }
    });
    down.on('error', () => undefined);
    up.on('error', () => {
      if (!down.closed) down.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    up.on('response', (head, flags) => {
      if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        done(str(head['grpc-status']));
        down.respond(head, { endStream: true });
        return;
      }
      down.respond(head, { waitForTrailers: true });
    });
    up.on('data', (chunk: Buffer) => {
      responses.push(chunk);
      down.write(chunk);
    });
    up.on('trailers', (head: http2.IncomingHttpHeaders) => {
      trailers = head;
    });
    up.on('end', () => {
      done(str(trailers['grpc-status']));
      down.end();
    });
    down.on('wantTrailers', () => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(trailers)) {
        if (!name.startsWith(':') && value !== undefined) out[name] = value;
      }
      down.sendTrailers(Object.keys(out).length > 0 ? out : { 'grpc-status': '0' });
    });
  }

  /** What one call's messages count, by its RPC. */
  private counter(
    fn: string,
    rpc: string,
  ): {
    request: (message: Buffer) => void;
    response: (message: Buffer) => void;
    done: (grpcStatus: string) => void;
  } {
    const t = this.types;
    const decode = (type: protobuf.Type, message: Buffer): Decoded =>
      type.toObject(type.decode(message), { defaults: false, longs: Number });
    let collection = '(unknown)';
    let writes: string[] = [];
    let returned = 0;
    const read = (name: string) => {
      this.row(fn, rpc, collectionOf(name)).reads += 1;
    };
    switch (rpc) {
      case 'Commit':
      case 'BatchWrite':
        return {
          request: (m) => {
            const req = decode(rpc === 'Commit' ? t.CommitRequest : t.BatchWriteRequest, m);
            writes = asList(req.writes).map((w) => {
              const update = w.update as Decoded | undefined;
              const transform = w.transform as Decoded | undefined;
              return collectionOf(str(update?.name) || str(w.delete) || str(transform?.document));
            });
          },
          response: () => undefined,
          done: (status) => {
            const byCollection = new Map<string, number>();
            for (const c of writes) byCollection.set(c, (byCollection.get(c) ?? 0) + 1);
            if (byCollection.size === 0) this.row(fn, rpc, '(none)').calls += 1;
            for (const [c, n] of byCollection) {
              const row = this.row(fn, rpc, c);
              row.calls += 1;
              if (status === '0') row.writes += n;
            }
          },
        };
      case 'BatchGetDocuments':
        return {
          request: (m) => {
            const req = decode(t.BatchGetDocumentsRequest, m);
            collection = collectionOf(str(asList(req.documents)[0] ?? ''));
          },
          response: (m) => {
            const res = decode(t.BatchGetDocumentsResponse, m);
            const found = res.found as Decoded | undefined;
            if (found) read(str(found.name));
            else if (res.missing) read(str(res.missing));
          },
          done: () => {
            this.row(fn, rpc, collection).calls += 1;
          },
        };
      case 'RunQuery':
      case 'RunAggregationQuery':
        return {
          request: (m) => {
            const aggregate = rpc === 'RunAggregationQuery';
            const req = decode(aggregate ? t.RunAggregationQueryRequest : t.RunQueryRequest, m);
            const query = (
              aggregate
                ? (req.structuredAggregationQuery as Decoded | undefined)?.structuredQuery
                : req.structuredQuery
            ) as Decoded | undefined;
            const from = asList(query?.from)[0];
            collection = collectionOf(`${str(req.parent)}/${str(from?.collectionId)}/x`);
          },
          response: (m) => {
            if (rpc === 'RunQuery') {
              if (decode(t.RunQueryResponse, m).document) returned += 1;
              return;
            }
            const res = decode(t.RunAggregationQueryResponse, m);
            const fields = ((res.result as Decoded | undefined)?.aggregateFields ?? {}) as Record<
              string,
              Decoded
            >;
            // Billed per query, not per aggregation: its index entries, a count's value.
            const entries = Math.max(
              0,
              ...Object.values(fields).map((v) => Number(v.integerValue ?? 0)),
            );
            returned += Math.max(1, Math.ceil(entries / 1_000));
          },
          done: () => {
            const row = this.row(fn, rpc, collection);
            row.calls += 1;
            if (returned > 0) row.reads += returned;
            else row.emptyQueries += 1;
          },
        };
      case 'Listen':
        return {
          request: () => undefined,
          response: (m) => {
            const change = decode(t.ListenResponse, m).documentChange as Decoded | undefined;
            const document = change?.document as Decoded | undefined;
            if (document) read(str(document.name));
          },
          done: () => {
            this.row(fn, rpc, '(listen)').calls += 1;
          },
        };
      default:
        return {
          request: () => undefined,
          response: () => undefined,
          done: () => {
            this.row(fn, rpc, '(none)').calls += 1;
          },
        };
    }
  }
}
