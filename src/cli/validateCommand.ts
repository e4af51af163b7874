import { LineIndex } from '../core/format/lineIndex';
import type { DdstoreDiagnostic } from '../core/validation/diagnostic';
import { validateDdstoreTextAsync } from '../core/validation/validate';
import type { JsonDiagnostic } from './diagnosticOutput';
import { formatDiagnosticLine, toJsonDiagnostic } from './diagnosticOutput';
import { readInputFile } from './inputFile';
import { EXIT_INVALID, EXIT_OK, type CliIo } from './io';

/** The `--json` output of `ddstore validate`. */
export interface JsonValidateResult {
  readonly file: string;
  readonly valid: boolean;
  /** Number of items read; 0 when the file could not be parsed. */
  readonly items: number;
  readonly diagnostics: JsonDiagnostic[];
}

/**
 * Validates one file as the editor does and prints each diagnostic as
 * `file:line:col: severity code: message` (1-based), or one JSON object with `json`.
 * Returns EXIT_OK when the file has no errors (warnings allowed), else EXIT_INVALID,
 * also when the file cannot be read.
 */
export async function validateCommand(
  file: string,
  options: { json: boolean; primaryKey?: string },
  io: CliIo,
): Promise<number> {
  const input = await readInputFile(file, io);
  if ('error' in input) {
    io.stderr(`ddstore: ${input.error}\n`);
    return EXIT_INVALID;
  }
  const text = input.text;
  file = input.name;

  const { document, diagnostics } = await validateDdstoreTextAsync(text, { primaryKey: options.primaryKey });
  const lines = new LineIndex(text);
  const valid = document !== undefined && !diagnostics.some((diagnostic) => diagnostic.severity === 'error');
  const items = document?.items.length ?? 0;

  if (options.json) {
    const result: JsonValidateResult = {
      file,
      valid,
      items,
      diagnostics: diagnostics.map((diagnostic) => toJsonDiagnostic(diagnostic, lines)),
    };
    io.stdout(`${JSON.stringify(result)}\n`);
  } else {
    for (const diagnostic of diagnostics) {
      io.stdout(`${formatDiagnosticLine(file, diagnostic, lines)}\n`);
    }
    io.stdout(`${file}: ${summary(valid, items, diagnostics)}\n`);
  }
  return valid ? EXIT_OK : EXIT_INVALID;
}

function summary(valid: boolean, items: number, diagnostics: readonly DdstoreDiagnostic[]): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  const warnings = diagnostics.filter((diagnostic) => diagnostic.severity === 'warning').length;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  return valid ? `valid, ${plural(items, 'item')} (${counts}).` : `invalid (${counts}). Nothing was sent.`;
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
