// Every import of jsonc-parser in the core goes through this module. esbuild is set to prefer
// the package's ES module build, because its "main" UMD build requires './impl/*' at run time.
export { createScanner, parse, printParseErrorCode, visit } from 'jsonc-parser';

// Token kinds of jsonc-parser's SyntaxKind. The package declares it as a const enum, so the
// values are copied here once instead of read from a runtime object in the scanning loops.
export const OPEN_BRACE = 1;
export const CLOSE_BRACE = 2;
export const OPEN_BRACKET = 3;
export const CLOSE_BRACKET = 4;
export const COMMA = 5;
export const NULL_KEYWORD = 7;
export const STRING = 10;
export const NUMBER = 11;
export const EOF = 17;
