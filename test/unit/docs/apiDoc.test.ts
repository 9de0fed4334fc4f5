import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PBX_CANCEL_REASONS } from '../../../functions/core/call/callState';
import { ERROR_STATUS } from '../../../functions/core/errors';
import { PUSH_ADDRESS_FIELDS } from '../../../functions/core/devices/pushAddress';
import { deviceRegistrationSchema, incomingCallSchema } from '../../../functions/core/schemas';
import { ROUTE_LIST } from '../../../functions/http/router';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');

/** The text of the section under `### <route>`. */
function section(route: string): string {
  const start = doc.indexOf(`\n### ${route}\n`);
  assert.ok(start >= 0, `docs/api.md has a section "### ${route}"`);
  const end = doc.indexOf('\n### ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('docs/api.md stays in step with the code', () => {
  it('documents every route, and no route that does not exist', () => {
    const documented = [...doc.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...ROUTE_LIST].sort());
  });

  it('documents every error code with its status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      assert.match(doc, new RegExp(`\\|\\s*${status}\\s*\\|\\s*\`${code}\`\\s*\\|`), code);
    }
  });

  it('documents every field the schemas accept', () => {
    for (const field of Object.keys(incomingCallSchema.shape)) {
      assert.ok(section('POST /v1/calls').includes(`\`${field}\``), field);
    }
    for (const field of Object.keys(deviceRegistrationSchema.shape)) {
      assert.ok(
        section('PUT /v1/extensions/{ext}/devices/{device_id}').includes(`\`${field}\``),
        field,
      );
    }
    for (const field of PUSH_ADDRESS_FIELDS) {
      assert.ok(
        section('PUT /v1/extensions/{ext}/devices/{device_id}').includes(`| \`${field}\``),
        field,
      );
    }
    for (const reason of PBX_CANCEL_REASONS) {
      assert.ok(section('POST /v1/calls/{call_id}/cancel').includes(`\`${reason}\``), reason);
    }
  });
});
