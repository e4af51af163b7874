import type { TextSpan } from '../format/model';

export type DiagnosticSeverity = 'error' | 'warning' | 'information';

/** Related location, for example the other item of a duplicate-key pair. */
export interface RelatedDiagnostic {
  readonly message: string;
  readonly span: TextSpan;
}

/** A problem found in a `.ddstore.json` text, before or after a push. */
export interface DdstoreDiagnostic {
  /** Stable code, for example `missing-primary-key`; shown in the editor and the CLI. */
  readonly code: string;
  readonly severity: DiagnosticSeverity;
  /** Names the offending value and the fix. */
  readonly message: string;
  readonly span: TextSpan;
  /** Zero-based index of the item the diagnostic concerns, when it concerns one. */
  readonly itemIndex?: number;
  readonly related?: readonly RelatedDiagnostic[];
}
