import { onRequest } from 'firebase-functions/v2/https';
import { apiOptions } from '../config';
import { toAppError } from '../backingErrors';
import { apiContext } from '../wiring/apiContext';
import { readBody, toApiRequest } from './api';
import { renderBody } from './negotiate';
import { answerPlatformErrors, markApiResponse } from './platformErrors';
import { errorResponse, handle, routeName } from './router';
import type { ApiResponse } from './types';

// Before the first request: the platform's own error pages (a JSON body that does not parse)
// are answered in the API's format from then on.
answerPlatformErrors();

/** The HTTPS API: PBX routes (API key) and app routes (Firebase ID token). */
export const api = onRequest(apiOptions(), async (req, res) => {
  const started = Date.now();
  let response: ApiResponse;
  try {
    const body = await readBody(req);
    response = await handle(toApiRequest(req, body), await apiContext());
  } catch (err) {
    response = errorResponse(toAppError(err));
  }
  // A raw answer (the metrics' text exposition) is sent as it is; any other is negotiated.
  const { contentType, text } =
    response.raw ?? renderBody(response.body, req.get('accept'), req.get('content-type'));
  markApiResponse(res);
  res
    .status(response.status)
    .set({ ...response.headers, 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  res.send(text);
  const { logger } = await import('firebase-functions/v2');
  // Method, route and status only: paths and headers may carry ids and keys.
  logger.info('api', {
    method: req.method,
    route: routeName(req.path),
    status: response.status,
    ms: Date.now() - started,
  });
});
