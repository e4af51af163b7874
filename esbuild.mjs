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
};

// TODO(validation): compile media/ddstore.schema.json with ajv standalone here.

const builds = [
  { entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
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
