import type { LineIndex } from '../core/format/lineIndex';
import type { DdstoreDiagnostic } from '../core/validation/diagnostic';

/** A diagnostic with 1-based lines and columns, as the CLI prints it in JSON; the end is exclusive. */
export interface JsonDiagnostic {
  readonly code: string;
  readonly severity: DdstoreDiagnostic['severity'];
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly itemIndex?: number;
}

export function toJsonDiagnostic(diagnostic: DdstoreDiagnostic, lines: LineIndex): JsonDiagnostic {
  const start = lines.positionAt(diagnostic.span.offset);
  const end = lines.positionAt(diagnostic.span.offset + diagnostic.span.length);
  return {
    code: diagnostic.code,
    severity: diagnostic.severity,
    message: diagnostic.message,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    itemIndex: diagnostic.itemIndex,
  };
}

/** Formats `file:line:column: severity code: message`, the shape editors and CI logs link. */
export function formatDiagnosticLine(file: string, diagnostic: DdstoreDiagnostic, lines: LineIndex): string {
  const start = lines.positionAt(diagnostic.span.offset);
  return `${file}:${start.line + 1}:${start.character + 1}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
}
