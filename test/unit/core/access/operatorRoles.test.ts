import assert from 'node:assert/strict';
import { AppError } from '../../../../functions/core/errors';
import {
  OPERATOR_ROLES,
  requireRole,
  roleAllows,
} from '../../../../functions/core/access/operatorRoles';

describe('operators: roles per tenant', () => {
  it('knows two roles, viewer and admin (what the CLI grants and the store reads back)', () => {
    assert.deepEqual([...OPERATOR_ROLES], ['viewer', 'admin']);
  });

  it('lets an admin do what a viewer may, and not the other way round', () => {
    assert.equal(roleAllows('admin', 'viewer'), true);
    assert.equal(roleAllows('admin', 'admin'), true);
    assert.equal(roleAllows('viewer', 'viewer'), true);
    assert.equal(roleAllows('viewer', 'admin'), false);
    assert.equal(roleAllows(null, 'viewer'), false);
  });

  it('refuses with 403, saying what is missing, and returns the role that suffices', () => {
    assert.equal(requireRole('admin', 'viewer', 'acme'), 'admin');
    const refused = (role: 'viewer' | null) => {
      try {
        requireRole(role, 'admin', 'acme');
      } catch (err) {
        assert.ok(err instanceof AppError);
        assert.equal(err.status, 403);
        return err.message;
      }
      assert.fail('expected a refusal');
    };
    assert.equal(refused(null), 'You are not an operator of tenant acme.');
    assert.equal(refused('viewer'), 'This needs the admin role in tenant acme; you are a viewer.');
  });
});
