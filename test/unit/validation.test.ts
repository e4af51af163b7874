import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TextSpan } from '../../src/core/format/model';
import { siteIds } from '../../src/core/sites';
import type { DdstoreDiagnostic } from '../../src/core/validation/diagnostic';
import { validateDdstoreText, validateDdstoreTextAsync } from '../../src/core/validation/validate';
import schema from '../../media/ddstore.schema.json';

const FIXTURES = join(__dirname, '../../../test/fixtures');

function textOf(text: string, span: TextSpan): string {
  return text.slice(span.offset, span.offset + span.length);
}

function codes(diagnostics: readonly DdstoreDiagnostic[]): string[] {
  return diagnostics.map((diagnostic) => diagnostic.code);
}

function only(diagnostics: readonly DdstoreDiagnostic[], code: string): DdstoreDiagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.code === code);
}

function file(items: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ primaryKey: 'id', ...extra, items }, null, 2);
}

describe('schema', () => {
  it('enumerates the same sites as sites.ts', () => {
    assert.deepEqual(schema.definitions.site.enum, siteIds());
    assert.equal(schema.definitions.site.markdownEnumDescriptions.length, siteIds().length);
  });

  it('describes every property with examples', () => {
    const missing: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) {
        return;
      }
      const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
      for (const [name, property] of Object.entries(properties)) {
        const target = typeof property.$ref === 'string'
          ? (schema.definitions as Record<string, Record<string, unknown>>)[property.$ref.split('/').pop()!]
          : property;
        if (typeof target.description !== 'string' || !Array.isArray(target.examples)) {
          missing.push(`${path}.${name}`);
        }
      }
      for (const [key, child] of Object.entries(node)) {
        visit(child, `${path}.${key}`);
      }
    };
    visit(schema, '#');
    assert.deepEqual(missing, []);
  });
});

describe('validateDdstoreText checks', () => {
  it('accepts the valid fixtures', () => {
    for (const name of readdirSync(join(FIXTURES, 'valid'))) {
      const text = readFileSync(join(FIXTURES, 'valid', name), 'utf8');
      const { document, diagnostics } = validateDdstoreText(text, { primaryKey: 'id' });
      assert.ok(document, name);
      assert.deepEqual(diagnostics.filter((diagnostic) => diagnostic.severity !== 'information'), [], name);
    }
  });

  it('reports a missing primary key on the item', () => {
    const text = file([{ id: 'a' }, { name: 'no key' }]);
    const [diagnostic] = only(validateDdstoreText(text).diagnostics, 'missing-primary-key');
    assert.equal(diagnostic.itemIndex, 1);
    assert.equal(diagnostic.severity, 'error');
    // Messages number items from 1; itemIndex is the zero-based array index.
    assert.equal(diagnostic.message, 'Item 2 has no primary key "id". Add "id": "<unique string>" to the item.');
    assert.equal(textOf(text, diagnostic.span), '{');
    assert.equal(diagnostic.span.offset, text.indexOf('{', text.indexOf('"no key"') - 20));
  });

  it('suggests the string form of a number key', () => {
    const text = file([{ id: 42 }]);
    const [diagnostic] = only(validateDdstoreText(text).diagnostics, 'primary-key-not-string');
    assert.equal(textOf(text, diagnostic.span), '42');
    assert.match(diagnostic.message, /"id": "42"/);
    assert.equal(diagnostic.itemIndex, 0);
  });

  it('rejects keys longer than 256 characters', () => {
    const text = file([{ id: 'k'.repeat(257) }, { id: 'é'.repeat(256) }]);
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'primary-key-too-long');
    assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.itemIndex), [0]);
    assert.equal(textOf(text, diagnostics[0].span), `"${'k'.repeat(257)}"`);
  });

  it('flags both items of a duplicate key', () => {
    const text = file([{ id: 'a' }, { id: 'b' }, { id: 'a' }]);
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'duplicate-key');
    assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.itemIndex), [0, 2]);
    assert.deepEqual(diagnostics[0].related?.map((related) => related.span), [diagnostics[1].span]);
    assert.deepEqual(diagnostics[1].related?.map((related) => related.span), [diagnostics[0].span]);
    assert.equal(textOf(text, diagnostics[0].span), '"a"');
    assert.match(diagnostics[0].message, /^Item 1 has the same primary key "a" as item 3\./);
    assert.match(diagnostics[1].message, /^Item 3 has the same primary key "a" as item 1\./);
    assert.equal(diagnostics[1].related?.[0].message, 'Item 1 has the same key "a".');
  });

  it('rejects field names over 63 characters', () => {
    const long = 'f'.repeat(64);
    const text = file([{ id: 'a', [long]: 1, ['g'.repeat(63)]: 2 }]);
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'field-name-too-long');
    assert.equal(diagnostics.length, 1);
    assert.equal(textOf(text, diagnostics[0].span), `"${long}"`);
    assert.equal(diagnostics[0].itemIndex, 0);
  });

  it('rejects items over 100 KB', () => {
    const text = file([{ id: 'small', text: 'x'.repeat(1000) }, { id: 'big', text: 'x'.repeat(110_000) }]);
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'item-too-large');
    assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.itemIndex), [1]);
    assert.match(diagnostics[0].message, /110,0\d\d bytes/);
  });

  it('counts multibyte characters as UTF-8 bytes', () => {
    const text = file([{ id: 'a', text: '€'.repeat(35_000) }]);
    assert.equal(only(validateDdstoreText(text).diagnostics, 'item-too-large').length, 1);
  });

  it('limits the number of items', () => {
    const text = file([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const [diagnostic] = only(validateDdstoreText(text, { maxItems: 2 }).diagnostics, 'too-many-items');
    assert.equal(diagnostic.itemIndex, 2);
    assert.match(diagnostic.message, /3 items/);
    assert.match(diagnostic.message, /item 3 is the first one over the limit/);
    assert.deepEqual(only(validateDdstoreText(text).diagnostics, 'too-many-items'), []);
  });

  it('rejects an invalid primary column name', () => {
    const text = file([{ id: 'a' }], { primaryKey: '0id' });
    const diagnostics = validateDdstoreText(text).diagnostics;
    const [diagnostic] = only(diagnostics, 'invalid-primary-column');
    assert.equal(textOf(text, diagnostic.span), '"0id"');
    assert.deepEqual(only(diagnostics, 'schema'), [], 'the schema error is not reported twice');
    assert.equal(only(validateDdstoreText('[]', { primaryKey: 'bad-name' }).diagnostics, 'invalid-primary-column').length, 1);
  });

  it('says once that the primary key is unknown', () => {
    const diagnostics = validateDdstoreText('[{"a": 1}, {"b": 2}]').diagnostics;
    assert.deepEqual(codes(diagnostics), ['primary-key-unknown']);
    assert.equal(diagnostics[0].severity, 'information');
  });

  it('prefers the option over the file primary key', () => {
    const text = file([{ key: 'a' }]);
    const diagnostics = validateDdstoreText(text, { primaryKey: 'key' }).diagnostics;
    assert.deepEqual(codes(diagnostics), ['primary-key-mismatch']);
    assert.equal(textOf(text, diagnostics[0].span), '"id"');
  });

  it('warns about integers beyond 2^53', () => {
    const text = '{"primaryKey": "id", "items": [{"id": "a", "n": 9007199254740993, "ok": 9007199254740991}]}';
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'unsafe-integer');
    assert.equal(diagnostics.length, 1);
    assert.equal(textOf(text, diagnostics[0].span), '9007199254740993');
    assert.equal(diagnostics[0].severity, 'warning');
    assert.equal(diagnostics[0].itemIndex, 0);
    assert.match(diagnostics[0].message, / in item 1 /);
  });

  it('warns about duplicate property names', () => {
    const text = '{"primaryKey": "id", "items": [{"id": "a", "n": 1, "n": 2}]}';
    const [diagnostic] = only(validateDdstoreText(text).diagnostics, 'duplicate-property');
    assert.equal(diagnostic.span.offset, text.lastIndexOf('"n"'));
    assert.equal(diagnostic.related?.[0].span.offset, text.indexOf('"n"'));
    assert.equal(diagnostic.itemIndex, 0);
    assert.match(diagnostic.message, / in item 1;/);
  });

  it('finds duplicates written with spaces', () => {
    const text = '{"primaryKey": "id", "items": [{"id" : "a", "note": "x\\":", "id"\n: "b"}]}';
    const [diagnostic] = only(validateDdstoreText(text).diagnostics, 'duplicate-property');
    assert.equal(diagnostic.span.offset, text.lastIndexOf('"id"'));
  });

  it('maps schema errors to the exact token', () => {
    const text = '{"items": [], "datastore": {"site": "datadoghq.fr", "id": "nope"}, "conflictMode": "merge", "extra": 1}';
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'schema');
    assert.deepEqual(
      diagnostics.map((diagnostic) => textOf(text, diagnostic.span)),
      ['"datadoghq.fr"', '"nope"', '"merge"', '"extra"'],
    );
    assert.match(diagnostics[0].message, /datadoghq\.eu/);
  });

  it('rejects non-object items', () => {
    const text = '{"primaryKey": "id", "items": [1, null, [], {"id": "a"}]}';
    const diagnostics = only(validateDdstoreText(text).diagnostics, 'item-not-object');
    assert.deepEqual(diagnostics.map((diagnostic) => textOf(text, diagnostic.span)), ['1', 'null', '[]']);
    assert.match(diagnostics[0].message, /^Item 1 is a number/);
    assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.itemIndex), [0, 1, 2]);
  });

  it('reports a missing items property', () => {
    const text = '{"primaryKey": "id"}';
    const [diagnostic] = only(validateDdstoreText(text).diagnostics, 'schema');
    assert.match(diagnostic.message, /no "items" property/);
  });
});

describe('validateDdstoreTextAsync', () => {
  it('returns what the sync version returns', async () => {
    const items = Array.from({ length: 12_000 }, (_, index) => ({ id: `k${index % 11_000}`, n: index }));
    const text = file(items);
    const expected = validateDdstoreText(text);
    const actual = await validateDdstoreTextAsync(text);
    assert.deepEqual(actual.diagnostics, expected.diagnostics);
    assert.equal(actual.document?.items.length, 12_000);
  });

  it('rejects once the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(validateDdstoreTextAsync('[]', {}, controller.signal), { name: 'AbortError' });
  });
});

describe('hostile corpus', () => {
  const expectedCodes: Record<string, string> = {
    'invalid-json': 'invalid-json',
    bom: 'bom',
    comments: 'comment',
    'trailing-commas': 'trailing-comma',
    empty: 'empty-file',
    'whitespace-only': 'empty-file',
    'non-object-items': 'item-not-object',
    'deep-nesting': 'primary-key-unknown',
    'deep-nesting-invalid': 'invalid-json',
    'long-strings': 'item-too-large',
    'proto-keys': 'missing-primary-key',
    'duplicate-keys': 'duplicate-key',
    'huge-integers': 'unsafe-integer',
    'number-keys': 'primary-key-not-string',
    'top-level-string': 'schema',
    'binary-garbage': 'invalid-json',
  };

  afterEach(() => {
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  for (const name of readdirSync(join(FIXTURES, 'hostile'))) {
    const base = name.replace(/\.ddstore\.json$/, '');
    it(`gives a clear diagnostic for ${base}`, () => {
      const text = readFileSync(join(FIXTURES, 'hostile', name), 'utf8');
      const { diagnostics } = validateDdstoreText(text);
      assert.ok(diagnostics.length > 0, 'at least one diagnostic');
      assert.ok(base in expectedCodes, `add ${base} to the table of expected codes`);
      assert.ok(codes(diagnostics).includes(expectedCodes[base]), `${expectedCodes[base]} in ${codes(diagnostics).join(', ')}`);
      for (const diagnostic of diagnostics) {
        assert.ok(diagnostic.message.length > 10, diagnostic.code);
        assert.ok(diagnostic.span.offset >= 0, `${diagnostic.code} starts inside the text`);
        assert.ok(diagnostic.span.offset + diagnostic.span.length <= text.length, `${diagnostic.code} ends inside the text`);
      }
    });
  }

  it('keeps __proto__ as an own property of the item', () => {
    const text = readFileSync(join(FIXTURES, 'hostile', 'proto-keys.ddstore.json'), 'utf8');
    const { document } = validateDdstoreText(text);
    const first = document!.items[0].value as Record<string, unknown>;
    assert.ok(Object.hasOwn(first, '__proto__'));
    assert.equal(Object.getPrototypeOf(first), Object.prototype);
  });

  it('validates a 50 MB file without a crash', function () {
    this.timeout(120_000);
    const folder = mkdtempSync(join(tmpdir(), 'ddstore-hostile-'));
    try {
      const path = join(folder, 'large.ddstore.json');
      const item = (index: number): string =>
        JSON.stringify({ id: `item-${index}`, text: 'lorem ipsum dolor sit amet '.repeat(12), n: index });
      const lines: string[] = [];
      let size = 0;
      for (let index = 0; size < 50 * 1024 * 1024; index++) {
        const line = item(index);
        lines.push(line);
        size += line.length + 2;
      }
      writeFileSync(path, `{"primaryKey": "id", "items": [\n${lines.join(',\n')}\n]}`);
      const { document, diagnostics } = validateDdstoreText(readFileSync(path, 'utf8'), { maxItems: 1_000_000 });
      assert.equal(document?.items.length, lines.length);
      assert.deepEqual(diagnostics, []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
