import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS, type LimitName } from '../../../functions/core/limits';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'security.md'), 'utf8');

describe('docs/security.md stays in step with the code', () => {
  it('lists every limit with its number, where it is counted, whether a tenant may set it, and its answer', () => {
    const rows = new Map<string, string[]>();
    for (const match of doc.matchAll(/^\| `([a-z_]+)` +\|(.*)\|$/gm)) {
      rows.set(
        match[1]!,
        match[2]!.split('|').map((cell) => cell.trim()),
      );
    }
    assert.deepEqual([...rows.keys()].sort(), Object.keys(LIMITS).sort());
    for (const [name, spec] of Object.entries(LIMITS) as [
      LimitName,
      (typeof LIMITS)[LimitName],
    ][]) {
      const [number = '', counted, perTenant, answer = ''] = rows.get(name) ?? [];
      assert.equal(Number(/^\d+/.exec(number)?.[0]), spec.value, `${name}: its number`);
      assert.equal(counted, spec.scope, `${name}: where it is counted`);
      assert.equal(perTenant, spec.perTenant ? 'yes' : 'no', `${name}: per tenant`);
      const code = spec.status === 429 ? 'rate_limited' : 'limit_exceeded';
      assert.equal(answer, `${spec.status} \`${code}\``, `${name}: its answer`);
    }
  });
});
