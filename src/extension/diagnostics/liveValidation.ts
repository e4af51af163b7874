import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { DdstoreDiagnostic } from '../../core/validation/diagnostic';
import type { ValidateOptions } from '../../core/validation/validate';
import { validateDdstoreTextAsync } from '../../core/validation/validate';
import { validationDelayMs } from '../config/settings';
import { isDdstoreDocument, spanToRange } from './spans';

const SEVERITY: Record<DdstoreDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** Turns core diagnostics into VS Code diagnostics with source `ddstore` and the stable code. */
export function toVscodeDiagnostics(document: vscode.TextDocument, diagnostics: readonly DdstoreDiagnostic[]): vscode.Diagnostic[] {
  return diagnostics.map((item) => {
    const diagnostic = new vscode.Diagnostic(spanToRange(document, item.span), item.message, SEVERITY[item.severity]);
    diagnostic.source = 'ddstore';
    diagnostic.code = item.code;
    if (item.related && item.related.length > 0) {
      diagnostic.relatedInformation = item.related.map(
        (related) => new vscode.DiagnosticRelatedInformation(new vscode.Location(document.uri, spanToRange(document, related.span)), related.message),
      );
    }
    return diagnostic;
  });
}

/**
 * Validates every open `.ddstore.json` as the user types, after a short pause. A newer edit
 * aborts the validation of the older text, so a large file never queues stale work.
 */
export class LiveValidation implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('ddstore');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, AbortController>();
  private readonly primaryKeys = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after the diagnostics of a document were replaced. */
  readonly onDidValidate = this.changed.event;

  constructor(private readonly logger: Logger) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document, validationDelayMs())),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
    );
    for (const document of vscode.workspace.textDocuments) {
      this.schedule(document, 0);
    }
  }

  /** Remembers the bound datastore's primary column for a file, then validates it again. */
  setPrimaryKey(document: vscode.TextDocument, primaryKey: string | undefined): void {
    const key = document.uri.toString();
    if (primaryKey) this.primaryKeys.set(key, primaryKey);
    else this.primaryKeys.delete(key);
    this.schedule(document, 0);
  }

  /** Validates now and returns the diagnostics, also showing them in the editor. */
  async validate(document: vscode.TextDocument, options: ValidateOptions = {}): Promise<{ diagnostics: readonly DdstoreDiagnostic[]; valid: boolean }> {
    const key = document.uri.toString();
    this.running.get(key)?.abort();
    const controller = new AbortController();
    this.running.set(key, controller);
    const version = document.version;
    try {
      const result = await validateDdstoreTextAsync(
        document.getText(),
        { ...options, primaryKey: options.primaryKey ?? this.primaryKeys.get(key) },
        controller.signal,
      );
      if (!controller.signal.aborted && document.version === version && !document.isClosed) {
        this.collection.set(document.uri, toVscodeDiagnostics(document, result.diagnostics));
        this.changed.fire(document.uri);
      }
      return { diagnostics: result.diagnostics, valid: !result.diagnostics.some((d) => d.severity === 'error') };
    } finally {
      if (this.running.get(key) === controller) {
        this.running.delete(key);
      }
    }
  }

  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (!isDdstoreDocument(document)) {
      return;
    }
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.validate(document).catch((error: unknown) => {
          if (!(error instanceof Error && error.name === 'AbortError')) {
            this.logger.error(`validation of ${document.uri.fsPath} failed: ${String(error)}`);
          }
        });
      }, delayMs),
    );
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.running.get(key)?.abort();
    this.running.delete(key);
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    for (const controller of this.running.values()) controller.abort();
    for (const disposable of this.disposables) disposable.dispose();
  }
}
