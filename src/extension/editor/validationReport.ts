// Shared by the extension host and the validation worker, so it must not import vscode.
import type { DatastoreTarget, ConflictMode, DocumentLayout } from '../../core/format/model';
import type { ParseResult } from '../../core/format/parseDocument';
import type { DdstoreDiagnostic } from '../../core/validation/diagnostic';
import type { ValidateOptions } from '../../core/validation/validate';
import { validateDdstoreTextAsync } from '../../core/validation/validate';

/** Facts about a file that the CodeLens and the status bar show besides its diagnostics. */
export interface FileSummary {
  readonly layout: DocumentLayout;
  readonly itemCount: number;
  readonly datastore?: DatastoreTarget;
  readonly primaryKey?: string;
  readonly conflictMode?: ConflictMode;
}

/** A validation result as plain data, so it can cross from a worker thread. */
export interface ValidationReport {
  readonly diagnostics: DdstoreDiagnostic[];
  /** Missing when the text is not JSON that can be read. */
  readonly summary?: FileSummary;
}

/** Request from the extension host to the validation worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly text: string;
  readonly options: ValidateOptions;
}

/** Reply of the validation worker; exactly one of `report` and `error` is set. */
export interface WorkerReply {
  readonly id: number;
  readonly report?: ValidationReport;
  readonly error?: string;
}

/** Copies what the editor needs out of a parse result, so the parsed items can be collected. */
export function toReport(result: ParseResult): ValidationReport {
  const document = result.document;
  if (!document) {
    return { diagnostics: result.diagnostics };
  }
  return {
    diagnostics: result.diagnostics,
    summary: {
      layout: document.layout,
      itemCount: document.items.length,
      ...(document.datastore && { datastore: { ...document.datastore } }),
      ...(document.primaryKey !== undefined && { primaryKey: document.primaryKey }),
      ...(document.conflictMode !== undefined && { conflictMode: document.conflictMode }),
    },
  };
}

/** Validates a text in this thread, yielding to the event loop between chunks. */
export async function validateToReport(text: string, options: ValidateOptions, signal?: AbortSignal): Promise<ValidationReport> {
  return toReport(await validateDdstoreTextAsync(text, options, signal));
}
