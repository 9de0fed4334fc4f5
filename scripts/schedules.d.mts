// Types of schedules.mjs, for the unit tests that import it.
export function nextRun(schedule: string, after: number, timeZone?: string): number;
export function scheduledFunctions(
  root: string,
): { name: string; schedule: string; timeZone: string }[];
export function fire(
  functionsHost: string,
  project: string,
  name: string,
  now?: number,
): Promise<void>;
export function runSchedules(options: {
  root: string;
  functionsHost: string;
  project: string;
  log: (line: string) => void;
  now?: () => number;
}): () => void;
