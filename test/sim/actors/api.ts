import { handle } from '../../../functions/http/router';
import { apiRequest, type ApiRequestInit } from '../../support/fakes';
import type { Run } from '../instances';
import type { World } from '../world';
import { apiContext } from '../runPorts';

export interface ApiReply {
  run: Run;
  startedAt: number;
  /** null: no answer before the client gave up, or the instance died (a reset connection). */
  httpStatus: number | null;
  body: Record<string, unknown>;
}

/**
 * One HTTPS request to the api function, as a client with an HTTP timeout makes it: the real
 * router and route on an instance of the api function, over the world's stores and providers.
 * The client may give up before the route is done; the route goes on (its writes still land).
 */
export async function callApi(
  world: World,
  kind: string,
  callUuid: string | null,
  request: { method: string; path: string } & ApiRequestInit,
  clientTimeoutMs: number,
  onStart?: (run: Run) => void,
): Promise<ApiReply> {
  const run = world.startRun('api', kind, callUuid);
  onStart?.(run);
  const startedAt = world.clock.now();
  const stop = new AbortController();
  const served = world.execute(run, () =>
    handle(apiRequest(request.method, request.path, request), apiContext(world, run)),
  );
  const reply = await Promise.race([
    served,
    world.clock.sleep(clientTimeoutMs, stop.signal).then(() => null),
  ]);
  stop.abort();
  if (!reply?.ok) return { run, startedAt, httpStatus: null, body: {} };
  return {
    run,
    startedAt,
    httpStatus: reply.value.status,
    body: reply.value.body,
  };
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
