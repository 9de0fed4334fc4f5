/**
 * A fake FCM HTTP v1 server (`POST /v1/projects/{p}/messages:send`) on 127.0.0.1 that
 * validates requests the way FCM does, answers with FCM's real error bodies, records what it
 * received, and plays scripted faults per token.
 */
import http from 'node:http';
import { randomInt } from 'node:crypto';
import { isRecord, LocalHttpServer, parseJson, readBody } from './fakeServer';
import { TokenScripts } from './tokenScripts';

/** One scripted answer: a status (with FCM's body for it), a named FCM error, or a transport fault. */
export type FcmFault =
  | { status: number; retryAfter?: number | string }
  | 'ok'
  | 'unregistered'
  | 'invalid_token'
  | 'sender_id_mismatch'
  /** Destroys the TCP connection with an RST, no response. */
  | 'reset'
  /** Never answers (until `close()`). */
  | 'hang';

/** A request as the fake received it. */
export interface FcmRecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined if it was not JSON). */
  body: unknown;
  rawBody: string;
  /** `message.token`, when there was one. */
  token?: string;
  receivedAt: number;
  /** The sender's end of the connection: its local port (which process sent it, sockets.ts). */
  clientPort?: number;
  /** The status answered; undefined for 'reset' and 'hang'. */
  status?: number;
}

/** Options for {@link FakeFcm}. */
export interface FakeFcmOptions {
  /** An OAuth access token the fake accepts as `Authorization: Bearer <token>` (until expired). */
  accessToken?: string;
  /** When set, other project ids in the path get 403 PERMISSION_DENIED. */
  projectId?: string;
}

interface Answer {
  status: number;
  body: string;
  contentType?: string;
  retryAfter?: string;
  /** Google's front end adds this to every 401. */
  wwwAuthenticate?: string;
}

/** [HTTP code, Google status, message, FcmError errorCode], as FCM sends them. */
type ErrorSpec = readonly [number, string, string, string?];

function invalidArgument(message: string): ErrorSpec {
  return [400, 'INVALID_ARGUMENT', message, 'INVALID_ARGUMENT'];
}
const unauthenticated = (problem: string): ErrorSpec => [
  401,
  'UNAUTHENTICATED',
  `Request ${problem}. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.`,
];
const INVALID_CREDENTIALS = unauthenticated('had invalid authentication credentials');
const NAMED = {
  unregistered: [404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED'],
  invalid_token: invalidArgument('The registration token is not a valid FCM registration token'),
  sender_id_mismatch: [403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH'],
} satisfies Record<string, ErrorSpec>;
const BY_STATUS: Record<number, ErrorSpec> = {
  400: invalidArgument('Request contains an invalid argument.'),
  401: INVALID_CREDENTIALS,
  403: [403, 'PERMISSION_DENIED', 'The caller does not have permission'],
  404: NAMED.unregistered,
  429: [429, 'RESOURCE_EXHAUSTED', 'Message rate exceeded for this device.', 'QUOTA_EXCEEDED'],
  500: [500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'],
  503: [503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'],
  504: [504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};
/** Google's front end, not FCM, answers 502, and in HTML. */
const BAD_GATEWAY = '<!DOCTYPE html><title>Error 502 (Server Error)!!1</title><b>502.</b>';
const FCM_TYPE = 'type.googleapis.com/google.firebase.fcm.v1';
const PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const TOP_FIELDS = fieldSet('message validate_only');
const PRIORITIES = new Set(['high', 'normal', 'HIGH', 'NORMAL']);
const MESSAGE_FIELDS = fieldSet(
  'name data notification android webpush apns fcm_options token topic condition',
);
const ANDROID_FIELDS = fieldSet(
  'collapse_key priority ttl restricted_package_name data notification fcm_options ' +
    'direct_boot_ok restricted_satellite_ok bandwidth_constrained_ok',
);

/** Writes FCM's answer. */
function reply(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    'content-type': answer.contentType ?? 'application/json; charset=UTF-8',
    ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
    ...(answer.wwwAuthenticate === undefined ? {} : { 'www-authenticate': answer.wwwAuthenticate }),
  });
  res.end(answer.body);
}

/** The fake server. Start it, point an FcmSender at `origin`, and inspect `requests`. */
export class FakeFcm extends TokenScripts<FcmRecordedRequest, FcmFault> {
  private readonly server = new LocalHttpServer((req, res) => {
    this.handle(req, res);
  });
  /** Bearers FCM takes, and bearers it once took that have since expired. */
  private readonly validTokens = new Set<string>();
  private readonly expiredTokens = new Set<string>();
  private issued = 0;
  /**
   * How long FCM takes to answer once it has a request (0: at once). The bench sets it to stand
   * for the network and FCM's own time, which 127.0.0.1 does not have; tests leave it at 0.
   */
  answerDelayMs = 0;

  constructor(private readonly options: FakeFcmOptions) {
    super();
    if (options.accessToken) this.validTokens.add(options.accessToken);
  }

  /** Plays Google's OAuth server: a new access token FCM takes until `expireAccessTokens()`. */
  issueAccessToken(): string {
    this.issued += 1;
    const token = `ya29.fake-${this.issued}-${randomInt(1e9).toString(36)}`;
    this.validTokens.add(token);
    return token;
  }

  /** Every access token accepted so far expires (as after revocation or an hour's use). */
  expireAccessTokens(): void {
    for (const token of this.validTokens) this.expiredTokens.add(token);
    this.validTokens.clear();
  }

  /** Listens on 127.0.0.1 (`port` 0 = ephemeral). */
  async start(port = 0): Promise<{ port: number; origin: string }> {
    const actual = await this.server.start(port);
    return { port: actual, origin: `http://127.0.0.1:${actual}` };
  }

  /** Stops listening and drops every connection, hanging ones included. */
  async close(): Promise<void> {
    await this.server.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    readBody(req, res, (bytes, receivedAt) => {
      const rawBody = bytes.toString('utf8');
      const body = parseJson(rawBody);
      const message = isRecord(body) && isRecord(body.message) ? body.message : undefined;
      const token = typeof message?.token === 'string' ? message.token : undefined;
      const { method = '', url: path = '', headers } = req;
      const record: FcmRecordedRequest = {
        method,
        path,
        headers,
        body,
        rawBody,
        token,
        receivedAt,
        ...(req.socket.remotePort === undefined ? {} : { clientPort: req.socket.remotePort }),
      };
      this.requests.push(record);
      const answer = this.answer(req, rawBody, body, token);
      if (answer === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (answer === 'hang') return;
      record.status = answer.status;
      if (this.answerDelayMs > 0) {
        setTimeout(() => {
          reply(res, answer);
        }, this.answerDelayMs);
      } else {
        reply(res, answer);
      }
    });
  }

  /** FCM's order: route, OAuth, project permission, payload, then the token's fate. */
  private answer(
    req: http.IncomingMessage,
    rawBody: string,
    body: unknown,
    token: string | undefined,
  ): Answer | 'reset' | 'hang' {
    const match = PATH.exec(req.url ?? '');
    if (match === null || req.method !== 'POST') {
      return googleError([404, 'NOT_FOUND', 'Requested entity was not found.']);
    }
    const auth = req.headers.authorization;
    if (auth === undefined) {
      return unauthorized(unauthenticated('is missing required authentication credential'), false);
    }
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
    if (!this.validTokens.has(bearer)) {
      // Google's answer to an expired token (captured in olucurious/PyFCM#334); a token it never
      // issued gets the same message without the ErrorInfo detail.
      const expired = this.expiredTokens.has(bearer);
      return unauthorized(INVALID_CREDENTIALS, true, expired ? 'ACCESS_TOKEN_EXPIRED' : undefined);
    }
    const project = decodeURIComponent(match[1] ?? '');
    if (this.options.projectId !== undefined && project !== this.options.projectId) {
      const resource = `'//cloudresourcemanager.googleapis.com/projects/${project}'`;
      const message = `Permission 'cloudmessaging.messages.create' denied on resource ${resource} (or it may not exist).`;
      return googleError([403, 'PERMISSION_DENIED', message]);
    }
    const invalid = validateRequest(rawBody, body);
    if (invalid !== undefined) return invalid;
    if (token === undefined) return success(project);
    if (token.trim() === '' || /\s/.test(token)) return googleError(NAMED.invalid_token);
    const fault = this.nextFault(token);
    if (fault === 'reset' || fault === 'hang') return fault;
    if (fault === 'ok') return success(project);
    return typeof fault === 'string' ? googleError(NAMED[fault]) : statusFault(fault);
  }
}

function success(project: string): Answer {
  const id = `0:${Date.now()}%${randomInt(1e9).toString(16)}`;
  return { status: 200, body: JSON.stringify({ name: `projects/${project}/messages/${id}` }) };
}

function statusFault(fault: { status: number; retryAfter?: number | string }): Answer {
  const answer: Answer =
    fault.status === 502
      ? { status: 502, contentType: 'text/html; charset=UTF-8', body: BAD_GATEWAY }
      : googleError(BY_STATUS[fault.status] ?? [fault.status, 'UNKNOWN', 'Unknown error.']);
  if (fault.retryAfter !== undefined) answer.retryAfter = String(fault.retryAfter);
  return answer;
}

/**
 * A 401 as Google's front end sends it (RFC 6750: `error="invalid_token"` only when a bearer was
 * given), with an ErrorInfo `reason` when there is one.
 */
function unauthorized(spec: ErrorSpec, bearerGiven: boolean, reason?: string): Answer {
  const [code, status, message] = spec;
  const details =
    reason === undefined
      ? []
      : [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason,
            domain: 'googleapis.com',
            metadata: {
              method: 'google.firebase.fcm.v1.FcmService.SendMessage',
              service: 'fcm.googleapis.com',
            },
          },
        ];
  const error = details.length > 0 ? { code, message, status, details } : { code, message, status };
  return {
    status: code,
    body: JSON.stringify({ error }),
    wwwAuthenticate: `Bearer realm="https://accounts.google.com/"${bearerGiven ? ', error="invalid_token"' : ''}`,
  };
}

/** Google's error envelope; a field violation adds a google.rpc.BadRequest detail. */
function googleError([code, status, message, errorCode]: ErrorSpec, field?: string): Answer {
  const details: unknown[] = [];
  if (errorCode !== undefined) details.push({ '@type': `${FCM_TYPE}.FcmError`, errorCode });
  if (field !== undefined) {
    const fieldViolations = [{ field, description: message }];
    details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations });
  }
  const error = details.length > 0 ? { code, message, status, details } : { code, message, status };
  return { status: code, body: JSON.stringify({ error }) };
}

function badField(field: string, message: string): Answer {
  return googleError([400, 'INVALID_ARGUMENT', message], field);
}

function invalidValue(field: string, type: string, value: unknown): Answer {
  return badField(field, `Invalid value at '${field}' (${type}), ${JSON.stringify(value)}`);
}

function unknownName(name: string, at: string): Answer {
  const where = at === '' ? '' : ` at '${at}'`;
  return badField(
    at,
    `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`,
  );
}

/** FCM's own checks on a send request, in the order it reports them. */
function validateRequest(rawBody: string, body: unknown): Answer | undefined {
  if (!isRecord(body)) return badField('', 'Invalid JSON payload received.');
  const unknownTop = Object.keys(body).find((k) => !TOP_FIELDS.has(k));
  if (unknownTop !== undefined) return unknownName(unknownTop, '');
  const message = body.message;
  if (!isRecord(message)) return googleError(BY_STATUS[400]!);
  const unknownField = Object.keys(message).find((k) => !MESSAGE_FIELDS.has(k));
  if (unknownField !== undefined) return unknownName(unknownField, 'message');
  const targets = ['token', 'topic', 'condition'].filter((k) => message[k] !== undefined);
  if (targets.length === 0)
    return googleError(invalidArgument('Recipient of the message is not set.'));
  if (targets.length > 1) {
    const again = targets[1] ?? '';
    return badField(
      'message',
      `Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '${again}'`,
    );
  }
  const android = message.android ?? {};
  if (!isRecord(android))
    return invalidValue('message.android', `${FCM_TYPE}.AndroidConfig`, android);
  const unknownAndroid = Object.keys(android).find((k) => !ANDROID_FIELDS.has(k));
  if (unknownAndroid !== undefined) return unknownName(unknownAndroid, 'message.android');
  const { ttl, priority } = android;
  if (ttl !== undefined && (typeof ttl !== 'string' || !/^\d+(\.\d{1,9})?s$/.test(ttl))) {
    return invalidValue('message.android.ttl', 'type.googleapis.com/google.protobuf.Duration', ttl);
  }
  // firebase-admin sends lowercase enum names, and FCM takes them as well as the proto's.
  if (priority !== undefined && !PRIORITIES.has(priority as string)) {
    return invalidValue('message.android.priority', `${FCM_TYPE}.AndroidMessagePriority`, priority);
  }
  const dataError =
    validateData(message.data, 'message.data') ??
    validateData(android.data, 'message.android.data');
  if (dataError !== undefined) return dataError;
  const tooBig = Buffer.byteLength(rawBody, 'utf8') > 4096;
  return tooBig ? googleError(invalidArgument('Android message is too big')) : undefined;
}

/** A data map's values must all be strings; FCM names the first bad entry by index. */
function validateData(data: unknown, field: string): Answer | undefined {
  if (data === undefined) return undefined;
  if (!isRecord(data)) return invalidValue(field, 'type.googleapis.com/google.protobuf.Map', data);
  const entries = Object.entries(data);
  const bad = entries.findIndex(([, v]) => typeof v !== 'string');
  return bad < 0
    ? undefined
    : invalidValue(`${field}[${bad}].value`, 'TYPE_STRING', entries[bad]?.[1]);
}

/** Proto JSON accepts both snake_case and lowerCamelCase field names. */
function fieldSet(names: string): Set<string> {
  const out = new Set<string>();
  for (const name of names.split(' ')) {
    out.add(name);
    out.add(name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  }
  return out;
}
