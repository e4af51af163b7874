import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_INVALID, EXIT_OK, type CliIo } from '../../src/cli/io';
import { validateCommand, type JsonValidateResult } from '../../src/cli/validateCommand';

interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
}

function captureIo(): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env: {}, stdout: (text) => out.push(text), stderr: (text) => err.push(text) };
}

describe('ddstore validate', () => {
  let folder: string;
  const write = (name: string, text: string): string => {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'ddstore-validate-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('exits 0 for a valid file', async () => {
    const path = write('ok.ddstore.json', '{"primaryKey": "id", "items": [{"id": "a"}, {"id": "b"}]}');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: false }, io), EXIT_OK);
    assert.equal(io.out.join(''), `${path}: valid, 2 items (0 errors, 0 warnings).\n`);
    assert.deepEqual(io.err, []);
  });

  it('prints 1-based human diagnostics', async () => {
    const path = write('bad.ddstore.json', '{"primaryKey": "id", "items": [\n  {"id": "a"},\n  {"name": "x"}\n]}');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: false }, io), EXIT_INVALID);
    const lines = io.out.join('').trimEnd().split('\n');
    assert.equal(
      lines[0],
      `${path}:3:3: error missing-primary-key: Item 2 has no primary key "id". Add "id": "<unique string>" to the item.`,
    );
    assert.equal(lines[1], `${path}: invalid (1 error, 0 warnings). Nothing was sent.`);
  });

  it('prints one JSON object', async () => {
    const path = write('bad.ddstore.json', '[\n  {"id": 7}\n]');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: true, primaryKey: 'id' }, io), EXIT_INVALID);
    const result = JSON.parse(io.out.join('')) as JsonValidateResult;
    assert.equal(result.file, path);
    assert.equal(result.valid, false);
    assert.equal(result.items, 1);
    assert.deepEqual(result.diagnostics, [
      {
        code: 'primary-key-not-string',
        severity: 'error',
        message: 'Item 1 has the number 7 as its primary key "id", but keys must be strings. Write it as a string: "id": "7".',
        line: 2,
        column: 10,
        endLine: 2,
        endColumn: 11,
        itemIndex: 0,
      },
    ]);
  });

  it('allows warnings in a valid file', async () => {
    const path = write('bom.ddstore.json', '\ufeff[{"id": "a"}]');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: true, primaryKey: 'id' }, io), EXIT_OK);
    const result = JSON.parse(io.out.join('')) as JsonValidateResult;
    assert.equal(result.valid, true);
    assert.deepEqual(result.diagnostics.map((diagnostic) => diagnostic.code), ['bom']);
  });

  it('exits 2 for invalid JSON', async () => {
    const path = write('broken.ddstore.json', '{"items": [');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: true }, io), EXIT_INVALID);
    const result = JSON.parse(io.out.join('')) as JsonValidateResult;
    assert.equal(result.valid, false);
    assert.equal(result.items, 0);
    assert.equal(result.diagnostics[0].code, 'invalid-json');
  });

  it('says which path cannot be read', async () => {
    const path = join(folder, 'missing.ddstore.json');
    const io = captureIo();
    assert.equal(await validateCommand(path, { json: false }, io), EXIT_INVALID);
    assert.equal(io.err.join(''), `ddstore: Unable to read ${path}: no such file. Check the path.\n`);
    assert.deepEqual(io.out, []);
  });

  it('rejects a directory', async () => {
    const io = captureIo();
    assert.equal(await validateCommand(folder, { json: false }, io), EXIT_INVALID);
    assert.match(io.err.join(''), /is a directory/);
  });
});
