/**
 * callwake's deployed functions. This file only names them; each lives in its
 * own module.
 *
 * Every instance serves one function, named in FUNCTION_TARGET by the
 * runtime, and loads only that function's module: a cold `api` instance (the
 * ring path) never loads the Firestore-trigger and scheduler SDKs. Without a
 * target (deploy-time discovery, tests) every function is loaded.
 */
import type * as Api from './http/onApiRequest';
import type * as AnswerTrigger from './triggers/onAnswerWritten';
import type * as CallTrigger from './triggers/onCallWritten';
import type * as ReceiptTrigger from './triggers/onReceiptWritten';
import type * as Expiry from './scheduled/expireCalls';
import type * as Prune from './scheduled/pruneStale';
import type * as Deadline from './tasks/onCallDeadline';
import { FUNCTION_MODULES } from './functionModules';

type Name = keyof typeof FUNCTION_MODULES;
const target = process.env.FUNCTION_TARGET;
const load = (name: Name): unknown =>
  target === undefined || target === name || !(target in FUNCTION_MODULES)
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require(FUNCTION_MODULES[name]) as Record<string, unknown>)[name]
    : undefined;

export const api = load('api') as typeof Api.api;
export const onAnswerWritten = load('onAnswerWritten') as typeof AnswerTrigger.onAnswerWritten;
export const onCallWritten = load('onCallWritten') as typeof CallTrigger.onCallWritten;
export const onReceiptWritten = load('onReceiptWritten') as typeof ReceiptTrigger.onReceiptWritten;
export const expireCalls = load('expireCalls') as typeof Expiry.expireCalls;
export const pruneStale = load('pruneStale') as typeof Prune.pruneStale;
export const onCallDeadline = load('onCallDeadline') as typeof Deadline.onCallDeadline;
