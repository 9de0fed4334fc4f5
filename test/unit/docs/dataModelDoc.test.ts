import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALL_END_REASONS } from '../../../functions/core/model';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'data-model.md'), 'utf8');

/** The meaning column of the table row whose field column names `field`. */
function row(field: string): string {
  const line = doc.split('\n').find((l) => l.startsWith('|') && l.split('|')[1]?.includes(field));
  assert.ok(line, `docs/data-model.md has a row for ${field}`);
  return line.split('|')[2] ?? '';
}

describe('docs/data-model.md stays in step with the code', () => {
  it("lists exactly the end reasons a call's document can hold", () => {
    const listed = [...row('`endReason?`').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(listed)].sort(), [...CALL_END_REASONS].sort());
  });
});
