import * as assert from 'node:assert/strict';
import { LineIndex } from '../../src/core/format/lineIndex';
import { locateInDocument, locateInItem } from '../../src/core/format/locate';
import type { DdstoreDocument, TextSpan } from '../../src/core/format/model';
import { parseDdstoreText } from '../../src/core/format/parseDocument';

function textOf(text: string, span: TextSpan): string {
  return text.slice(span.offset, span.offset + span.length);
}

function parseOrFail(text: string): DdstoreDocument {
  const { document, diagnostics } = parseDdstoreText(text);
  assert.ok(document, `expected a document, got ${JSON.stringify(diagnostics)}`);
  return document;
}

describe('LineIndex', () => {
  const text = 'ab\ncd\r\nef\rg';
  const lines = new LineIndex(text);

  it('positionAt handles LF, CRLF and CR', () => {
    assert.deepEqual(lines.positionAt(0), { line: 0, character: 0 });
    assert.deepEqual(lines.positionAt(2), { line: 0, character: 2 });
    assert.deepEqual(lines.positionAt(3), { line: 1, character: 0 });
    assert.deepEqual(lines.positionAt(7), { line: 2, character: 0 });
    assert.deepEqual(lines.positionAt(10), { line: 3, character: 0 });
    assert.deepEqual(lines.positionAt(11), { line: 3, character: 1 });
  });

  it('positionAt clamps out-of-range offsets', () => {
    assert.deepEqual(lines.positionAt(-5), { line: 0, character: 0 });
    assert.deepEqual(lines.positionAt(1000), { line: 3, character: 1 });
  });

  it('offsetAt inverts positionAt', () => {
    for (let offset = 0; offset <= text.length; offset++) {
      const position = lines.positionAt(offset);
      if (text[offset - 1] === '\r' && text[offset] === '\n') {
        continue; // The offset between CR and LF is not a position of its own.
      }
      assert.equal(lines.offsetAt(position.line, position.character), offset, `offset ${offset}`);
    }
  });

  it('offsetAt clamps to the line end', () => {
    assert.equal(lines.offsetAt(1, 99), 5);
    assert.equal(lines.offsetAt(99, 0), text.length);
    assert.equal(lines.offsetAt(-1, 3), 0);
  });

  it('counts lines', () => {
    assert.equal(lines.lineCount, 4);
    assert.equal(new LineIndex('').lineCount, 1);
  });
});

describe('parseDdstoreText layouts', () => {
  it('reads the ddstore object layout', () => {
    const text =
      '{"datastore": {"site": "datadoghq.eu", "id": "6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7"},' +
      ' "primaryKey": "id", "conflictMode": "overwrite_on_conflict", "items": [{"id": "a"}, {"id": "b", "n": [1, 2]}]}';
    const document = parseOrFail(text);
    assert.equal(document.layout, 'ddstore');
    assert.equal(document.primaryKey, 'id');
    assert.equal(document.conflictMode, 'overwrite_on_conflict');
    assert.deepEqual(document.datastore, { site: 'datadoghq.eu', id: '6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7' });
    assert.equal(document.items.length, 2);
    assert.deepEqual(document.items[1].value, { id: 'b', n: [1, 2] });
    assert.equal(textOf(text, document.items[0].span), '{"id": "a"}');
    assert.equal(textOf(text, document.items[1].span), '{"id": "b", "n": [1, 2]}');
    assert.equal(textOf(text, document.itemsSpan!), '[{"id": "a"}, {"id": "b", "n": [1, 2]}]');
  });

  it('reads a bare array of items', () => {
    const text = '[\n  {"id": "a"},\n  {"id": "b"}\n]';
    const document = parseOrFail(text);
    assert.equal(document.layout, 'array');
    assert.equal(document.primaryKey, undefined);
    assert.equal(document.items.length, 2);
    assert.equal(textOf(text, document.items[1].span), '{"id": "b"}');
  });

  it('reads the bulk-write request body', () => {
    const text =
      '{"data": {"type": "items", "attributes": {"conflict_mode": "fail_on_conflict", "values": [{"id": "x"}]}}}';
    const document = parseOrFail(text);
    assert.equal(document.layout, 'request');
    assert.equal(document.conflictMode, 'fail_on_conflict');
    assert.equal(document.items.length, 1);
    assert.equal(textOf(text, document.items[0].span), '{"id": "x"}');
  });

  it('records spans of primitive items', () => {
    const text = '[1, "two", null, {"id": "x"}]';
    const document = parseOrFail(text);
    assert.deepEqual(
      document.items.map((item) => textOf(text, item.span)),
      ['1', '"two"', 'null', '{"id": "x"}'],
    );
  });

  it('uses the last of two items properties', () => {
    const text = '{"items": [{"id": "old"}], "items": [{"id": "new"}, {"id": "newer"}]}';
    const { document, diagnostics } = parseDdstoreText(text);
    assert.equal(document?.items.length, 2);
    assert.equal(textOf(text, document!.items[0].span), '{"id": "new"}');
    assert.ok(diagnostics.some((diagnostic) => diagnostic.code === 'duplicate-property'));
  });

  it('leaves out settings of the wrong type', () => {
    const document = parseOrFail('{"primaryKey": 5, "conflictMode": "merge", "datastore": "x", "items": []}');
    assert.equal(document.primaryKey, undefined);
    assert.equal(document.conflictMode, undefined);
    assert.equal(document.datastore, undefined);
  });
});

describe('parseDdstoreText syntax problems', () => {
  it('warns about a byte-order mark and keeps offsets', () => {
    const text = '\ufeff[{"id": "a"}]';
    const { document, diagnostics } = parseDdstoreText(text);
    assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.code), ['bom']);
    assert.equal(diagnostics[0].severity, 'warning');
    assert.deepEqual(diagnostics[0].span, { offset: 0, length: 1 });
    assert.equal(textOf(text, document!.items[0].span), '{"id": "a"}');
  });

  it('rejects comments with their spans', () => {
    const text = '{\n  // note\n  "items": [] /* end */\n}';
    const { document, diagnostics } = parseDdstoreText(text);
    const comments = diagnostics.filter((diagnostic) => diagnostic.code === 'comment');
    assert.deepEqual(comments.map((diagnostic) => textOf(text, diagnostic.span)), ['// note', '/* end */']);
    assert.ok(comments.every((diagnostic) => diagnostic.severity === 'error'));
    assert.ok(document, 'the rest of the file is still read');
  });

  it('rejects trailing commas with their spans', () => {
    const text = '{"items": [{"id": "a",},],}';
    const { diagnostics } = parseDdstoreText(text);
    const commas = diagnostics.filter((diagnostic) => diagnostic.code === 'trailing-comma');
    assert.deepEqual(
      commas.map((diagnostic) => diagnostic.span.offset),
      [text.indexOf(',}'), text.indexOf(',]'), text.lastIndexOf(',')],
    );
  });

  it('reports invalid JSON without a document', () => {
    const text = '{"items": [{"id": "a" "b": 1}]}';
    const { document, diagnostics } = parseDdstoreText(text);
    assert.equal(document, undefined);
    assert.equal(diagnostics[0].code, 'invalid-json');
    assert.equal(diagnostics[0].span.offset, text.indexOf('"b"'));
  });

  it('reports an empty file', () => {
    for (const text of ['', '  \n\t ']) {
      const { document, diagnostics } = parseDdstoreText(text);
      assert.equal(document, undefined);
      assert.deepEqual(diagnostics.map((diagnostic) => diagnostic.code), ['empty-file']);
      assert.match(diagnostics[0].message, /empty/);
    }
  });
});

describe('locateInItem', () => {
  const text = '{"items": [\n  {"id": "a", "address": {"city": "Paris", "zip": 75001}, "tags": ["x", "y"]},\n  {"id": "b"}\n]}';
  const document = parseOrFail(text);

  it('marks the property name', () => {
    assert.equal(textOf(text, locateInItem(text, document, 0, ['address'])), '"address"');
    assert.equal(textOf(text, locateInItem(text, document, 0, ['address', 'zip'])), '"zip"');
  });

  it('marks an array element value', () => {
    assert.equal(textOf(text, locateInItem(text, document, 0, ['tags', 1])), '"y"');
  });

  it('falls back to the deepest existing value', () => {
    assert.equal(textOf(text, locateInItem(text, document, 0, ['address', 'country'])), '{"city": "Paris", "zip": 75001}');
  });

  it('falls back to the item', () => {
    assert.equal(textOf(text, locateInItem(text, document, 1, ['missing'])), '{"id": "b"}');
    assert.equal(textOf(text, locateInItem(text, document, 1, [])), '{"id": "b"}');
  });

  it('falls back to the items array', () => {
    assert.equal(textOf(text, locateInItem(text, document, 7, ['id'])), text.slice(text.indexOf('['), text.lastIndexOf(']') + 1));
  });

  it('locates root paths past the items', () => {
    const withTarget = '{"items": [{"id": "a"}], "datastore": {"site": "x"}}';
    const parsed = parseOrFail(withTarget);
    assert.equal(textOf(withTarget, locateInDocument(withTarget, parsed, ['datastore', 'site'])), '"site"');
    assert.equal(textOf(withTarget, locateInDocument(withTarget, parsed, ['items', 0, 'id'])), '"id"');
  });

  it('survives deep nesting', () => {
    const deep = `[{"id": "a", "v": ${'['.repeat(10_000)}1${']'.repeat(10_000)}}]`;
    const parsed = parseOrFail(deep);
    assert.equal(textOf(deep, locateInItem(deep, parsed, 0, ['v', 0, 0, 0])), `${'['.repeat(9_997)}1${']'.repeat(9_997)}`);
  });
});
