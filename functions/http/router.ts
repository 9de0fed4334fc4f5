import { AppError } from '../core/errors';
import { toAppError } from '../backingErrors';
import { postAck, postAnswer } from './routes/appCalls';
import { deleteAppDevice, putAppDevice } from './routes/appDevices';
import { cancelCall, getCall, postCall, postWait } from './routes/calls';
import {
  getKeys,
  postConsolePairingCode,
  postKey,
  postRevokeKey,
  postTestRing,
} from './routes/consoleAdmin';
import { getConsoleDevices, getConsoleMetrics, getMe } from './routes/consoleRead';
import { deleteDevice, listDevices, putDevice } from './routes/devices';
import { acceptInvitation, declineInvitation, listInvitations } from './routes/invitations';
import { deleteMember, putMember } from './routes/members';
import { getMetrics } from './routes/metrics';
import { postPair, postPairingCode } from './routes/pairing';
import { registerFcmToken, registerPushToken, unregisterFcmToken } from './routes/seedCompat';
import { getAppWebPushKey, getWebPushKey } from './routes/webPush';
import type { ApiContext, ApiRequest, ApiResponse, RouteHandler } from './types';

interface Route {
  /** For logs and errors: the path with its ids as placeholders. */
  name: string;
  pattern: RegExp;
  params: string[];
  methods: Partial<Record<string, RouteHandler>>;
}

const health: RouteHandler = () => Promise.resolve({ status: 200, body: { status: 'ok' } });

/** A route from its path template: `{name}` matches one path segment. */
function route(name: string, methods: Route['methods']): Route {
  const params: string[] = [];
  const source = name
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{(\w+)\}/g, (_m, param: string) => {
      params.push(param);
      return '([^/]+)';
    });
  return { name, pattern: new RegExp(`^${source}$`), params, methods };
}

const ROUTES: Route[] = [
  route('/v1/health', { GET: health }),
  route('/v1/calls', { POST: postCall }),
  route('/v1/calls/{call_id}', { GET: getCall }),
  route('/v1/calls/{call_id}/wait', { POST: postWait }),
  route('/v1/calls/{call_id}/cancel', { POST: cancelCall }),
  route('/v1/extensions/{ext}/devices', { GET: listDevices }),
  // POST does what PUT and DELETE do, for HTTP clients that only GET and POST
  // (Kamailio's http_client, Asterisk's CURL()).
  route('/v1/extensions/{ext}/devices/{device_id}', {
    PUT: putDevice,
    POST: putDevice,
    DELETE: deleteDevice,
  }),
  route('/v1/extensions/{ext}/devices/{device_id}/unregister', { POST: deleteDevice }),
  route('/v1/extensions/{ext}/members/{uid}', { PUT: putMember, DELETE: deleteMember }),
  route('/v1/extensions/{ext}/pairing-codes', { POST: postPairingCode }),
  route('/v1/app/pair', { POST: postPair }),
  route('/v1/app/invitations', { GET: listInvitations }),
  route('/v1/app/invitations/accept', { POST: acceptInvitation }),
  route('/v1/app/invitations/decline', { POST: declineInvitation }),
  route('/v1/app/devices/{device_id}', { PUT: putAppDevice, DELETE: deleteAppDevice }),
  route('/v1/app/calls/{call_id}/answer', { POST: postAnswer }),
  route('/v1/app/calls/{call_id}/ack', { POST: postAck }),
  route('/v1/metrics', { GET: getMetrics }),
  // The operator console (Firebase ID token of an operator of the tenant).
  route('/v1/console/me', { GET: getMe }),
  route('/v1/console/tenants/{tenant}/devices', { GET: getConsoleDevices }),
  route('/v1/console/tenants/{tenant}/metrics', { GET: getConsoleMetrics }),
  route('/v1/console/tenants/{tenant}/devices/{device_id}/test-ring', { POST: postTestRing }),
  route('/v1/console/tenants/{tenant}/extensions/{ext}/pairing-codes', {
    POST: postConsolePairingCode,
  }),
  route('/v1/console/tenants/{tenant}/keys', { GET: getKeys, POST: postKey }),
  route('/v1/console/tenants/{tenant}/keys/{key_id}/revoke', { POST: postRevokeKey }),
  route('/v1/app/webpush/public-key', { GET: getAppWebPushKey }),
  // POST too: Kamailio 5.6's http_client sends a header only with a POST.
  route('/v1/webpush/public-key', { GET: getWebPushKey, POST: getWebPushKey }),
  // The seed guides' registration calls, for apps built from them.
  route('/api/register-push-token', { POST: registerPushToken }),
  route('/api/register-fcm-token', { POST: registerFcmToken }),
  route('/api/unregister-fcm-token', { POST: unregisterFcmToken }),
];

/** Every route as `METHOD /path/{param}`, for the API reference and its drift test. */
export const ROUTE_LIST: readonly string[] = ROUTES.flatMap((r) =>
  Object.keys(r.methods).map((method) => `${method} ${r.name}`),
);

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError('invalid_argument', 'The URL path is not correctly percent-encoded.');
  }
}

/** A route's pattern for logs: the path without ids in it. */
export function routeName(path: string): string {
  const route = ROUTES.find((r) => r.pattern.test(path.replace(/\/+$/, '')));
  return route ? route.name : 'unknown';
}

/** Finds the route, checks the method, runs the handler, maps any error to its status. */
export async function handle(req: ApiRequest, ctx: ApiContext): Promise<ApiResponse> {
  try {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const handler = route.methods[req.method];
      if (!handler) {
        const allow = Object.keys(route.methods).join(', ');
        const err = new AppError(
          'method_not_allowed',
          `${req.method} is not allowed here; use ${allow}.`,
        );
        return { ...errorResponse(err), headers: { Allow: allow } };
      }
      const params = Object.fromEntries(
        route.params.map((name, i) => [name, decodeParam(match[i + 1] ?? '')]),
      );
      return await handler(req, params, ctx);
    }
    throw new AppError('not_found', `No route ${req.method} ${path}.`);
  } catch (err) {
    const appError = toAppError(err);
    if (appError.status >= 500) ctx.reportError(err);
    return errorResponse(appError);
  }
}

export function errorResponse(err: AppError): ApiResponse {
  const retryAfter = err.retryAfter ?? (err.code === 'unavailable' ? 1 : undefined);
  return {
    status: err.status,
    body: {
      error: err.code,
      message: err.message,
      ...(err.limit ? { limit: err.limit } : {}),
      ...(err.details ? { details: err.details } : {}),
    },
    ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': String(retryAfter) } }),
  };
}
