/**
 * The module of each deployed function, relative to functions/. index.ts loads from it the one
 * named in FUNCTION_TARGET; scripts/build.mjs bundles each of them.
 */
export const FUNCTION_MODULES = {
  api: './http/onApiRequest',
  onAnswerWritten: './triggers/onAnswerWritten',
  onCallWritten: './triggers/onCallWritten',
  onReceiptWritten: './triggers/onReceiptWritten',
  expireCalls: './scheduled/expireCalls',
  pruneStale: './scheduled/pruneStale',
  onCallDeadline: './tasks/onCallDeadline',
} as const;
