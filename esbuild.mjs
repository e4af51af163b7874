// Builds the extension, the CLI, the simulator, the tests and the benchmarks.
// The JSON Schema is compiled to a standalone ajv validator first, so nothing
// compiles a schema at activation time.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Lists the .ts files directly inside a folder whose names end with one of the suffixes. */
function entries(folder, suffixes) {
  if (!existsSync(folder)) {
    return [];
  }
  return readdirSync(folder)
    .filter((name) => suffixes.some((suffix) => name.endsWith(suffix)))
    .map((name) => join(folder, name))
    .filter((path) => statSync(path).isFile());
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
  // jsonc-parser's "main" is a UMD build that requires its modules at run time, which a
  // bundle cannot resolve; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
};

// Compile media/ddstore.schema.json to standalone ajv code. The output exports
// `validateFile` (the whole file) and `validateItem` (one item) and requires ajv's
// runtime helpers, which esbuild bundles into each output that imports it.
{
  const { default: Ajv } = await import('ajv');
  const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
  const { readFileSync, writeFileSync, mkdirSync } = await import('node:fs');
  const schema = JSON.parse(readFileSync('media/ddstore.schema.json', 'utf8'));
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, code: { source: true, esm: false } });
  // VS Code's JSON language service reads these keywords; for ajv they are annotations.
  for (const keyword of [
    'defaultSnippets',
    'markdownDescription',
    'markdownEnumDescriptions',
    'enumDescriptions',
    'patternErrorMessage',
    'allowComments',
    'allowTrailingCommas',
  ]) {
    ajv.addKeyword({ keyword, schemaType: ['string', 'array', 'boolean', 'object'] });
  }
  ajv.addSchema(schema, 'ddstore');
  const code = standaloneCode(ajv, { validateFile: 'ddstore', validateItem: 'ddstore#/definitions/item' });
  mkdirSync('src/core/validation/generated', { recursive: true });
  writeFileSync('src/core/validation/generated/schemaValidator.js', code);
}

const builds = [
  { entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  // Validates large files off the extension host's thread; loaded from dist/ next to extension.js.
  { entryPoints: { validationWorker: 'src/extension/editor/validationWorker.ts' }, outdir: 'dist' },
  { entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: { simulator: 'src/simulator/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: entries('test/unit', ['.test.ts']), outdir: 'out/test/unit', external: ['vscode', 'mocha'] },
  {
    entryPoints: [...entries('test/integration', ['.ts']), ...entries('test/electron', ['.ts'])],
    outdir: 'out/test',
    outbase: 'test',
    external: ['vscode', 'mocha', '@vscode/test-electron'],
  },
  { entryPoints: entries('test/bench', ['.ts']), outdir: 'out/test/bench', external: ['vscode'] },
].filter((build) => Object.keys(build.entryPoints).length > 0 || build.entryPoints.length > 0);

const existing = builds.filter((build) =>
  Object.values(build.entryPoints).every((path) => existsSync(path)),
);

if (watch) {
  for (const build of existing) {
    const context = await esbuild.context({ ...common, ...build });
    await context.watch();
  }
} else {
  await Promise.all(existing.map((build) => esbuild.build({ ...common, ...build })));
}
