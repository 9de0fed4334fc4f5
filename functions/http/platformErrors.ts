import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../core/errors';
import { MAX_BODY_BYTES } from './body';
import { renderBody } from './negotiate';
import { errorResponse } from './router';

/**
 * Answers in callwake's format the errors the platform sends before the API runs.
 *
 * The body is parsed by the server around the function, not by callwake: body-parser in
 * @google-cloud/functions-framework (src/server.ts, getServer) when deployed, and in the
 * Functions emulator's worker (firebase-tools lib/emulator/functionsEmulatorRuntime.js). A JSON
 * body that does not parse, an unknown charset or encoding, or a body over its limit ends there:
 * body-parser calls next(err), and with no error middleware of ours to reach (the framework
 * offers none: functions-framework-nodejs#686) Express's finalhandler answers an HTML page with
 * the stack trace and file paths outside production. Node publishes every request a server
 * receives on the diagnostics channel `http.server.request.start` before any listener runs, with
 * its response: this wraps that response's end(), and an HTML error page that was not written
 * by the API (the API never writes HTML) is replaced by the API's own error, negotiated like any
 * answer, with no stack.
 */

/** Responses the API wrote: left as they are. */
const written = new WeakSet<ServerResponse>();

/** Marks a response as the API's own. */
export function markApiResponse(res: ServerResponse): void {
  written.add(res);
}

/** The API's error for a platform's error status. */
export function platformError(status: number, contentType: string | undefined): AppError {
  const json = /json/i.test(contentType ?? '');
  if (status === 413) {
    return new AppError('payload_too_large', `Request body is over ${MAX_BODY_BYTES} bytes.`);
  }
  if (status === 415) {
    return new AppError(
      'unsupported_media_type',
      'The body must be UTF-8 and not compressed (no Content-Encoding).',
    );
  }
  if (status >= 400 && status < 500) {
    return new AppError(
      'invalid_argument',
      json
        ? 'body: is not valid JSON; send one JSON object, e.g. {"call_id": "1700000000.1", "to": "1001"}.'
        : 'body: could not be read; send a form (application/x-www-form-urlencoded) or a JSON object.',
      { body: json ? 'is not valid JSON' : 'could not be read' },
    );
  }
  return new AppError('internal', 'Internal error.');
}

function replaceErrorPage(req: IncomingMessage, res: ServerResponse): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `this` below
  const end = res.end;
  // One signature for end's overloads: (chunk?, encoding?, callback?).
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const type = String(res.getHeader('content-type') ?? '');
    if (written.has(res) || res.headersSent || res.statusCode < 400 || !type.includes('html')) {
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    }
    const response = errorResponse(platformError(res.statusCode, req.headers['content-type']));
    const { contentType, text } = renderBody(
      response.body,
      req.headers.accept,
      req.headers['content-type'],
    );
    res.removeHeader('content-security-policy');
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.setHeader('Cache-Control', 'no-store');
    res.statusCode = response.status;
    const callback = args.find((a) => typeof a === 'function');
    return (end as (...a: unknown[]) => ServerResponse).call(this, text, 'utf8', callback);
  } as ServerResponse['end'];
}

let installed = false;

/** Installs the rewrite once per process (the API's module does, when it loads). */
export function answerPlatformErrors(): void {
  if (installed) return;
  installed = true;
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    replaceErrorPage(request, response);
  });
}
