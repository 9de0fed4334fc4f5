import { AppError, toAppError } from '../core/errors';
import { getCall, postCall } from './routes/calls';
import { deleteDevice, listDevices, putDevice } from './routes/devices';
import type { ApiContext, ApiRequest, ApiResponse, RouteHandler } from './types';

interface Route {
  /** For logs and errors: the path with its ids as placeholders. */
  name: string;
  pattern: RegExp;
  params: string[];
  methods: Partial<Record<string, RouteHandler>>;
}

const health: RouteHandler = () => Promise.resolve({ status: 200, body: { status: 'ok' } });

const ROUTES: Route[] = [
  { name: '/v1/health', pattern: /^\/v1\/health$/, params: [], methods: { GET: health } },
  { name: '/v1/calls', pattern: /^\/v1\/calls$/, params: [], methods: { POST: postCall } },
  {
    name: '/v1/calls/{call_id}',
    pattern: /^\/v1\/calls\/([^/]+)$/,
    params: ['call_id'],
    methods: { GET: getCall },
  },
  {
    name: '/v1/extensions/{ext}/devices',
    pattern: /^\/v1\/extensions\/([^/]+)\/devices$/,
    params: ['ext'],
    methods: { GET: listDevices },
  },
  {
    name: '/v1/extensions/{ext}/devices/{device_id}',
    pattern: /^\/v1\/extensions\/([^/]+)\/devices\/([^/]+)$/,
    params: ['ext', 'device_id'],
    methods: { PUT: putDevice, DELETE: deleteDevice },
  },
];

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
  return {
    status: err.status,
    body: {
      error: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
    },
    ...(err.code === 'unavailable' ? { headers: { 'Retry-After': '1' } } : {}),
  };
}
