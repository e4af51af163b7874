// jsonc-parser's "main" entry is a UMD build whose wrapper requires './impl/*' at run time,
// which esbuild cannot follow (the bundle fails with "Cannot find module './impl/format'").
// Its ES module build bundles cleanly, so every import of jsonc-parser goes through here.
export { createScanner, parse, printParseErrorCode, visit } from 'jsonc-parser/lib/esm/main.js';
