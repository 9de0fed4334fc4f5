/**
 * callwake's deployed functions. This file only names them; each lives in its
 * own module.
 */
export { api } from './http/onApiRequest';
export { onAnswerWritten } from './triggers/onAnswerWritten';
export { onCallWritten } from './triggers/onCallWritten';
export { onReceiptWritten } from './triggers/onReceiptWritten';
export { expireCalls } from './scheduled/expireCalls';
export { pruneStale } from './scheduled/pruneStale';
