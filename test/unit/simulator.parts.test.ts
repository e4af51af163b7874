import * as assert from 'node:assert/strict';
import { compileFilter, FilterSyntaxError } from '../../src/simulator/filter';
import { RateLimiter } from '../../src/simulator/rateLimiter';
import { DatastoreStore } from '../../src/simulator/store';

describe('simulator filter', () => {
  const items = [
    { id: 'a', name: 'Mary Ann', age: 31, tags: ['vip', 'eu'], address: { city: 'Paris' } },
    { id: 'b', name: 'John', age: 17, tags: ['us'], address: { city: 'Boston' } },
    { id: 'c', name: 'Johanna', age: 45, 'address.city': 'Lyon' },
  ];

  function matching(filter: string): string[] {
    const predicate = compileFilter(filter);
    return items.filter((item) => predicate(item)).map((item) => item.id);
  }

  const cases: Array<[string, string[]]> = [
    ['name:John', ['b']],
    ['name:"Mary Ann"', ['a']],
    ['name:Jo*', ['b', 'c']],
    ['age:>30', ['a', 'c']],
    ['age:<=17', ['b']],
    ['tags:eu', ['a']],
    ['address.city:Paris', ['a']],
    ['address.city:Lyon', ['c']],
    ['tags:*', ['a', 'b']],
    ['john', ['b']],
    ['"mary ann"', ['a']],
    ['bos*', ['b']],
    ['name:Jo* AND age:>20', ['c']],
    ['name:Jo* age:>20', ['c']],
    ['name:John OR name:Johanna', ['b', 'c']],
    ['NOT name:John', ['a', 'c']],
    ['-name:John', ['a', 'c']],
    ['(name:John OR name:Johanna) -age:45', ['b']],
    ['age:31', ['a']],
    ['', ['a', 'b', 'c']],
  ];
  for (const [filter, expected] of cases) {
    it(`matches ${filter || '(empty)'}`, () => {
      assert.deepEqual(matching(filter), expected);
    });
  }

  it('rejects broken syntax', () => {
    const broken = ['(name:John', 'name:John)', 'name:', ':John', 'name:"open', 'AND', 'name:John OR', 'age:[1 TO 5]', 'name:(a OR b)', 'a\\:b'];
    for (const filter of broken) {
      assert.throws(() => compileFilter(filter), FilterSyntaxError, filter);
    }
  });
});

describe('simulator rate limiter', () => {
  it('counts requests per calendar-aligned window', () => {
    let now = 10_000 * 1000 + 250;
    const limiter = new RateLimiter({ limit: 2, periodSeconds: 10, name: 'bucket' }, () => now);
    const first = limiter.consume();
    assert.equal(first.allowed, true);
    assert.deepEqual(first.headers, {
      'x-ratelimit-limit': '2',
      'x-ratelimit-period': '10',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '10',
      'x-ratelimit-name': 'bucket',
    });
    now += 4000;
    assert.equal(limiter.consume().allowed, true);
    const third = limiter.consume();
    assert.equal(third.allowed, false);
    assert.equal(third.headers['x-ratelimit-remaining'], '0');
    assert.equal(third.headers['x-ratelimit-reset'], '6');

    now = 10_010 * 1000;
    const next = limiter.consume();
    assert.equal(next.allowed, true);
    assert.equal(next.headers['x-ratelimit-reset'], '10');
  });

  it('rejects a non-positive period', () => {
    assert.throws(() => new RateLimiter({ limit: 1, periodSeconds: 0 }), /invalid rate limit/);
  });
});

describe('simulator store', () => {
  it('keeps insertion order across overwrites and deletes', () => {
    const store = new DatastoreStore();
    const datastore = store.createDatastore({ name: 'order', primaryColumnName: 'id' });
    datastore.putItem('a', { id: 'a' });
    datastore.putItem('b', { id: 'b' });
    const firstId = datastore.getItem('a')?.id;
    datastore.putItem('a', { id: 'a', v: 2 });
    assert.equal(datastore.getItem('a')?.id, firstId);
    datastore.deleteItem('b');
    datastore.putItem('b', { id: 'b' });
    assert.deepEqual(store.listItems(datastore.id), [{ id: 'a', v: 2 }, { id: 'b' }]);
    assert.deepEqual(datastore.fieldNames(), ['id', 'v']);
  });

  it('rejects duplicate and malformed ids', () => {
    const store = new DatastoreStore();
    const id = '11111111-2222-4333-8444-555555555555';
    store.createDatastore({ name: 'one', primaryColumnName: 'id', id });
    assert.throws(() => store.createDatastore({ name: 'two', primaryColumnName: 'id', id: id.toUpperCase() }), /already exists/);
    assert.throws(() => store.createDatastore({ name: 'three', primaryColumnName: 'id', id: 'nope' }), /expected a UUID/);
    store.clear();
    assert.deepEqual(store.listDatastores(), []);
  });
});
