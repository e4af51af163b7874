import * as vscode from 'vscode';
import { locateInItem } from '../../core/format/locate';
import { parseDdstoreText } from '../../core/format/parseDocument';
import type { Logger } from '../../core/log';
import { canonicalJson } from '../../core/push/itemErrors';
import type { ItemError } from '../../core/push/pushTypes';
import { spanToRange } from './spans';
import { KeyedDebouncer } from '../util/keyedDebouncer';

interface TrackedError {
  readonly error: ItemError;
  /** The item as it was pushed, so an edit to that item (and only that item) clears the error. */
  readonly itemText: string;
}

/**
 * Shows the errors the API returned for a push on the items they concern. An error stays
 * while its item is unchanged (it follows the item when other lines move) and disappears
 * when the item is edited, when the file is pushed again successfully, or when it is closed.
 */
export class ApiDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('ddstore-api');
  private readonly tracked = new Map<string, TrackedError[]>();
  private readonly debouncer = new KeyedDebouncer();
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(private readonly logger: Logger) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && this.tracked.has(event.document.uri.toString())) {
          this.scheduleRefresh(event.document);
        }
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.clear(document.uri)),
    );
  }

  /** Replaces the API errors shown for a file. */
  set(document: vscode.TextDocument, errors: readonly ItemError[], items: readonly unknown[]): void {
    const key = document.uri.toString();
    if (errors.length === 0) {
      this.clear(document.uri);
      return;
    }
    this.tracked.set(
      key,
      errors.map((error) => ({ error, itemText: canonicalJson(items[error.itemIndex]) })),
    );
    this.refresh(document);
  }

  clear(uri: vscode.Uri): void {
    const key = uri.toString();
    this.tracked.delete(key);
    this.debouncer.cancel(key);
    this.collection.delete(uri);
  }

  get(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  private scheduleRefresh(document: vscode.TextDocument): void {
    this.debouncer.schedule(document.uri.toString(), 200, () => this.refresh(document));
  }

  /** Re-places each error on its item, dropping the errors whose item changed or vanished. */
  private refresh(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const tracked = this.tracked.get(key);
    if (!tracked) {
      return;
    }
    const text = document.getText();
    const parsed = parseDdstoreText(text);
    const parsedDocument = parsed.document;
    if (!parsedDocument) {
      // While the JSON is broken, keep the last placement rather than guessing.
      return;
    }
    const itemIndexByText = new Map<string, number[]>();
    for (const entry of parsedDocument.items) {
      const canonical = canonicalJson(entry.value);
      const list = itemIndexByText.get(canonical);
      if (list) list.push(entry.index);
      else itemIndexByText.set(canonical, [entry.index]);
    }
    const kept: TrackedError[] = [];
    const diagnostics: vscode.Diagnostic[] = [];
    for (const entry of tracked) {
      const candidates = itemIndexByText.get(entry.itemText);
      if (!candidates || candidates.length === 0) {
        continue;
      }
      // Prefer the same position; when items moved, take the nearest identical item.
      const itemIndex = candidates.reduce((best, index) =>
        Math.abs(index - entry.error.itemIndex) < Math.abs(best - entry.error.itemIndex) ? index : best,
      );
      const error: ItemError = { ...entry.error, itemIndex };
      kept.push({ error, itemText: entry.itemText });
      const range = spanToRange(document, locateInItem(text, parsedDocument, itemIndex, error.path));
      const diagnostic = new vscode.Diagnostic(range, error.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'ddstore';
      diagnostic.code = error.code === 'api-error' && error.httpStatus ? `api-${error.httpStatus}` : error.code;
      diagnostics.push(diagnostic);
    }
    if (kept.length === 0) {
      this.clear(document.uri);
      return;
    }
    this.tracked.set(key, kept);
    this.collection.set(document.uri, diagnostics);
    this.logger.debug(`${diagnostics.length} API diagnostic(s) on ${document.uri.fsPath}`);
  }

  dispose(): void {
    this.debouncer.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
