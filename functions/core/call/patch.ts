import type { CallPatch } from './callState';
import type { Call } from '../model';

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Firestore's set-with-merge, in memory: nested maps merge, everything else (arrays too) is
 * replaced. The in-memory store writes with it, and the core uses it to see a call as a
 * transition left it; the shared store contract holds both to Firestore's behaviour.
 */
export function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isMap(value) && isMap(current)) mergeDeep(current, value);
    else target[key] = structuredClone(value);
  }
}

/** The call as it is once `patch` is merged into it (the input is left alone). */
export function applyPatch(call: Call, patch: CallPatch | null): Call {
  const next = structuredClone(call);
  if (patch) mergeDeep(next as unknown as Record<string, unknown>, patch);
  return next;
}
