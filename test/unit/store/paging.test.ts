import assert from 'node:assert/strict';
import { pageOf } from '../../../functions/store/paging';

describe('pageOf', () => {
  const names = ['1001', '1002', '2000', '3000'];
  const id = (name: string) => name;

  it('gives the first page and the cursor of the next when there is more', () => {
    assert.deepEqual(pageOf(names, id, { limit: 2 }), { items: ['1001', '1002'], next: '1002' });
  });

  it('starts after the cursor, which need not be in the list, and ends without one', () => {
    assert.deepEqual(pageOf(names, id, { limit: 2, after: '1500' }), { items: ['2000', '3000'] });
    assert.deepEqual(pageOf(names, id, { limit: 5, after: '1001' }), {
      items: ['1002', '2000', '3000'],
    });
  });

  it('is empty after the last item', () => {
    assert.deepEqual(pageOf(names, id, { limit: 2, after: '3000' }), { items: [] });
  });
});
