import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS, type LimitName } from '../../../functions/core/limits';

const read = (path: string) => readFileSync(join(__dirname, '..', '..', '..', path), 'utf8');

/** The cells of each row of a limits table (`| \`name\` | ... |`), by limit name. */
function limitRows(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const match of text.matchAll(/^\| `([a-z_]+)` +\|(.*)\|$/gm)) {
    rows.set(
      match[1]!,
      match[2]!.split('|').map((cell) => cell.trim()),
    );
  }
  return rows;
}

const limits = Object.entries(LIMITS) as [LimitName, (typeof LIMITS)[LimitName]][];
const answerOf = (spec: (typeof LIMITS)[LimitName]) =>
  `${spec.status} \`${spec.status === 429 ? 'rate_limited' : 'limit_exceeded'}\``;

describe('the limits tables of docs/security.md and README stay in step with the code', () => {
  it('docs/security.md lists every limit with its number, where it is counted, whether a tenant may set it, its answer and what to do', () => {
    const rows = limitRows(read('docs/security.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(LIMITS).sort());
    for (const [name, spec] of limits) {
      const [number = '', counted, perTenant, answer = '', todo = ''] = rows.get(name) ?? [];
      assert.equal(Number(/^\d+/.exec(number)?.[0]), spec.value, `${name}: its number`);
      assert.equal(counted, spec.scope, `${name}: where it is counted`);
      assert.equal(perTenant, spec.perTenant ? 'yes' : 'no', `${name}: per tenant`);
      assert.equal(answer, answerOf(spec), `${name}: its answer`);
      assert.ok(todo.length > 0, `${name}: what to do`);
    }
  });

  it("the README's limits table lists every limit with its number, whether a tenant may set it, its answer and what to do", () => {
    const rows = limitRows(read('README.md'));
    assert.deepEqual([...rows.keys()].sort(), Object.keys(LIMITS).sort());
    for (const [name, spec] of limits) {
      const [number = '', perTenant, answer = '', todo = ''] = rows.get(name) ?? [];
      assert.equal(Number(/^\d+/.exec(number)?.[0]), spec.value, `${name}: its number`);
      assert.equal(perTenant, spec.perTenant ? 'yes' : 'no', `${name}: per tenant`);
      assert.equal(answer, answerOf(spec), `${name}: its answer`);
      assert.ok(todo.length > 0, `${name}: what to do`);
    }
  });
});
