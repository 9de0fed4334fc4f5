import { AppError } from '../../core/errors';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from '../../core/metrics/exposition';
import { extractApiKey } from '../apiKey';
import type { ApiResponse, RouteHandler } from '../types';

const exposition = (text: string): ApiResponse => ({
  status: 200,
  body: {},
  raw: { contentType: EXPOSITION_CONTENT_TYPE, text },
});

/**
 * GET /v1/metrics: metrics in the Prometheus text format. With a tenant's API key, that
 * tenant's (a scrape reads its counter shards, 16 documents at most, and counts its devices);
 * with a deployment-wide scrape key (`npx callwake scrape-keys create`), every tenant's, each
 * sample labelled with its tenant.
 */
export const getMetrics: RouteHandler = async (req, _params, ctx) => {
  const key = extractApiKey(req);
  if (!key) {
    throw new AppError(
      'unauthenticated',
      "Send the tenant's API key (or a scrape key): Authorization: Bearer <key>.",
    );
  }
  const tenant = await ctx.resolveApiKey(key);
  if (tenant) return exposition(renderExposition([await ctx.operations.figures(tenant.id)], false));
  if (await ctx.operations.isScrapeKey(key)) {
    return exposition(renderExposition(await ctx.operations.allFigures(), true));
  }
  throw new AppError('unauthenticated', 'The key is not valid.');
};
