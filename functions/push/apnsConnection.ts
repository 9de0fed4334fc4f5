/**
 * One HTTP/2 connection to an APNs host, replaced when it goes away, with each request's fate
 * told apart the way a push gateway needs: answered, never processed (safe to send again), lost
 * after it may have been processed, or out of time.
 *
 * RFC 9113 §6.8 and §8.7: streams above a GOAWAY's last stream id, and streams reset with
 * REFUSED_STREAM, were not processed and can be retried. Node's client reports both the same way
 * (observed on Node 20: the stream closes with rstCode NGHTTP2_REFUSED_STREAM).
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

/** How one request ended. */
export type Exchange =
  | { kind: 'response'; status: number; headers: http2.IncomingHttpHeaders; body: string }
  /** The server never processed it (or the connection never opened): safe to send again. */
  | { kind: 'unprocessed' }
  /** The stream or connection failed after the request may have been processed. */
  | { kind: 'lost' }
  | { kind: 'timeout' };

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;
/** An idle connection is closed and reopened on the next push (NATs drop idle flows silently). */
const IDLE_CLOSE_MS = 10 * 60_000;
/** After a request timed out, a PING not answered within this says the connection is dead. */
const PROBE_MS = 2_000;

/** A connection to one origin (`https://host[:port]`), opened on first use. */
export class ApnsConnection {
  private session: ClientHttp2Session | undefined;
  /** The last stream id each session's GOAWAY said the server processed. */
  private readonly goaway = new WeakMap<ClientHttp2Session, number>();
  private closed = false;

  constructor(
    private readonly origin: string,
    /** An extra CA (PEM) to trust, for a test server. Replaces the default roots when set. */
    private readonly ca?: string,
  ) {}

  /** Sends one request; never throws; settles by `deadline` (epoch ms). */
  exchange(headers: http2.OutgoingHttpHeaders, body: string, deadline: number): Promise<Exchange> {
    if (this.closed) return Promise.resolve({ kind: 'unprocessed' });
    const session = this.current();
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch {
      // The session went away between our check and the request (ERR_HTTP2_GOAWAY_SESSION).
      this.forget(session);
      return Promise.resolve({ kind: 'unprocessed' });
    }
    return new Promise<Exchange>((resolve) => {
      let status: number | undefined;
      let responseHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let settled = false;
      const settle = (exchange: Exchange) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(exchange);
      };
      const timer = setTimeout(
        () => {
          settle({ kind: 'timeout' });
          stream.close(NGHTTP2_CANCEL);
          this.probe(session);
        },
        Math.max(0, deadline - Date.now()),
      );
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Errors also end in 'close'; this listener only keeps them from being thrown.
      stream.on('error', () => undefined);
      stream.on('close', () => {
        if (status !== undefined) {
          const text = Buffer.concat(chunks).toString('utf8');
          settle({ kind: 'response', status, headers: responseHeaders, body: text });
        } else {
          settle(this.unanswered(session, stream));
        }
      });
      stream.end(body);
    });
  }

  /** Destroys the connection; requests in flight end as lost, later ones as unprocessed. */
  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (session === undefined || session.destroyed) return;
    const gone = new Promise((resolve) => session.once('close', resolve));
    session.destroy();
    await gone;
  }

  /** What a stream that closed without an answer means. */
  private unanswered(session: ClientHttp2Session, stream: ClientHttp2Stream): Exchange {
    if (stream.rstCode === NGHTTP2_REFUSED_STREAM) return { kind: 'unprocessed' };
    // No id: the request never left (connection refused, TLS failure).
    if (stream.id === undefined) return { kind: 'unprocessed' };
    const lastProcessed = this.goaway.get(session);
    if (lastProcessed !== undefined && stream.id > lastProcessed) return { kind: 'unprocessed' };
    return { kind: 'lost' };
  }

  private current(): ClientHttp2Session {
    const existing = this.session;
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(this.origin, this.ca === undefined ? {} : { ca: [this.ca] });
    // A connection must never keep the process alive, nor crash it with an unhandled error.
    session.unref();
    session.on('error', () => {
      this.forget(session);
    });
    session.on('goaway', (_code: number, lastStreamId: number) => {
      // Streams at or below lastStreamId still finish; new ones go to a new connection.
      this.goaway.set(session, lastStreamId);
      this.forget(session);
    });
    session.on('close', () => {
      this.forget(session);
    });
    session.setTimeout(IDLE_CLOSE_MS, () => {
      this.forget(session);
      session.close();
    });
    this.session = session;
    return session;
  }

  private forget(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
  }

  /** A timed-out request may mean a dead connection: one unanswered PING drops it. */
  private probe(session: ClientHttp2Session): void {
    if (session.destroyed || session.closed) return;
    const dead = setTimeout(() => {
      this.forget(session);
      session.destroy();
    }, PROBE_MS);
    dead.unref();
    const sent = session.ping((error) => {
      clearTimeout(dead);
      if (error !== null) {
        this.forget(session);
        session.destroy();
      }
    });
    if (!sent) clearTimeout(dead);
  }
}
