import * as jsonc from 'jsonc-parser';
import * as vscode from 'vscode';
import { CONFLICT_MODES, type ConflictMode } from '../../core/format/model';
import { parseDdstoreText } from '../../core/format/parseDocument';
import { locatePath } from '../../core/format/locate';
import type { DdstoreDiagnostic } from '../../core/validation/diagnostic';
import type { LiveValidation, ValidationState } from '../diagnostics/liveValidation';
import { BIND_COMMAND } from './bindDatastore';

/** Internal command that selects a span of an open file; not contributed to the Command Palette. */
export const SELECT_COMMAND = 'ddstore.editor.select';

/** Top-level settings are looked for only this far into a file, so a request stays cheap. */
const SETTINGS_SCAN_LIMIT = 64 * 1024;

type FixKind = 'remove-duplicate' | 'rename-duplicate' | 'conflict-mode';

/** A quick fix whose edit is computed in resolveCodeAction, because it parses the whole file. */
class LazyFix extends vscode.CodeAction {
  constructor(
    title: string,
    readonly fix: FixKind,
    readonly document: vscode.TextDocument,
    readonly version: number,
    readonly detail: { diagnostic?: DdstoreDiagnostic; conflictMode?: ConflictMode },
  ) {
    super(title, vscode.CodeActionKind.QuickFix);
  }
}

/**
 * Offers quick fixes for the diagnostics of live validation (source `ddstore`): add a missing
 * primary key, turn a number key into a string, remove or rename an item with a duplicate key,
 * set `conflictMode`, and bind the file to a datastore. Edits are computed from the spans of
 * the last validation and from jsonc-parser, never by searching the text.
 */
export class DdstoreQuickFixes implements vscode.CodeActionProvider<vscode.CodeAction> {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly validation: LiveValidation) {}

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !vscode.CodeActionKind.QuickFix.contains(context.only) && !context.only.contains(vscode.CodeActionKind.QuickFix)) {
      return [];
    }
    const state = this.validation.stateOf(document);
    if (!state) {
      return [];
    }
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== 'ddstore') {
        continue;
      }
      const core = findCoreDiagnostic(document, state, diagnostic);
      if (core) {
        actions.push(...this.fixesFor(document, state, core, diagnostic));
      }
    }
    actions.push(...this.settingsFixes(document, state, range, context));
    return actions;
  }

  resolveCodeAction(action: vscode.CodeAction): vscode.CodeAction {
    if (!(action instanceof LazyFix) || action.edit) {
      return action;
    }
    if (action.document.version !== action.version) {
      // The file changed since the action was offered; applying the old edit could break it.
      return action;
    }
    const text = action.document.getText();
    const edit = new vscode.WorkspaceEdit();
    if (action.fix === 'remove-duplicate' && action.detail.diagnostic) {
      const range = itemRemovalRange(text, action.detail.diagnostic);
      if (range) {
        edit.delete(action.document.uri, spanRange(action.document, range));
      }
    } else if (action.fix === 'rename-duplicate' && action.detail.diagnostic) {
      const replacement = uniqueKeyFor(text, action.detail.diagnostic);
      if (replacement) {
        edit.replace(action.document.uri, spanRange(action.document, action.detail.diagnostic.span), JSON.stringify(replacement));
      }
    } else if (action.fix === 'conflict-mode' && action.detail.conflictMode) {
      for (const change of conflictModeEdits(text, action.document, action.detail.conflictMode)) {
        edit.replace(action.document.uri, new vscode.Range(action.document.positionAt(change.offset), action.document.positionAt(change.offset + change.length)), change.content);
      }
    }
    action.edit = edit;
    return action;
  }

  private fixesFor(
    document: vscode.TextDocument,
    state: ValidationState,
    core: DdstoreDiagnostic,
    diagnostic: vscode.Diagnostic,
  ): vscode.CodeAction[] {
    switch (core.code) {
      case 'missing-primary-key':
        return compact([addPrimaryKey(document, state, core, diagnostic)]);
      case 'primary-key-not-string':
        return compact([keyToString(document, core, diagnostic)]);
      case 'duplicate-key':
        return compact([
          this.lazy(vscode.l10n.t('Remove item {0}', (core.itemIndex ?? 0) + 1), 'remove-duplicate', document, diagnostic, { diagnostic: core }),
          this.lazy(vscode.l10n.t("Rename this item's key to a unique one"), 'rename-duplicate', document, diagnostic, { diagnostic: core }),
        ]);
      case 'primary-key-unknown':
        return state.report.summary?.layout === 'ddstore' && !state.report.summary.datastore?.id ? [bindAction(document, [diagnostic])] : [];
      default:
        return [];
    }
  }

  /** Fixes for the file's settings, offered on top-level lines and on the file-level diagnostics. */
  private settingsFixes(
    document: vscode.TextDocument,
    state: ValidationState,
    range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const summary = state.report.summary;
    if (summary?.layout !== 'ddstore' || !isOnTopLevel(document, range)) {
      return [];
    }
    const fileDiagnostics = context.diagnostics.filter((d) => d.source === 'ddstore' && d.code === 'primary-key-unknown');
    const actions: vscode.CodeAction[] = [];
    if (!summary.conflictMode) {
      for (const mode of CONFLICT_MODES) {
        const action = this.lazy(vscode.l10n.t('Set "conflictMode" to "{0}"', mode), 'conflict-mode', document, undefined, { conflictMode: mode });
        action.isPreferred = false;
        actions.push(action);
      }
    }
    if (!summary.datastore?.id && fileDiagnostics.length === 0) {
      actions.push(bindAction(document, []));
    }
    return actions;
  }

  private lazy(
    title: string,
    fix: FixKind,
    document: vscode.TextDocument,
    diagnostic: vscode.Diagnostic | undefined,
    detail: LazyFix['detail'],
  ): LazyFix {
    const action = new LazyFix(title, fix, document, document.version, detail);
    if (diagnostic) {
      action.diagnostics = [diagnostic];
    }
    return action;
  }
}

/** Finds the core diagnostic behind a VS Code diagnostic by its code and start offset. */
function findCoreDiagnostic(document: vscode.TextDocument, state: ValidationState, diagnostic: vscode.Diagnostic): DdstoreDiagnostic | undefined {
  const offset = document.offsetAt(diagnostic.range.start);
  return state.report.diagnostics.find((core) => core.code === diagnostic.code && core.span.offset === offset && core.message === diagnostic.message);
}

function compact(actions: Array<vscode.CodeAction | undefined>): vscode.CodeAction[] {
  return actions.filter((action): action is vscode.CodeAction => action !== undefined);
}

function spanRange(document: vscode.TextDocument, span: { offset: number; length: number }): vscode.Range {
  return new vscode.Range(document.positionAt(span.offset), document.positionAt(span.offset + span.length));
}

/** Inserts the primary key as the item's first property, with a snippet placeholder for its value. */
function addPrimaryKey(
  document: vscode.TextDocument,
  state: ValidationState,
  core: DdstoreDiagnostic,
  diagnostic: vscode.Diagnostic,
): vscode.CodeAction | undefined {
  const key = state.primaryKey ?? state.report.summary?.primaryKey;
  if (!key || core.itemIndex === undefined) {
    return undefined;
  }
  const text = document.getText();
  const itemSpan = locatePath(text, core.span.offset, []).value;
  if (!itemSpan || text.charCodeAt(itemSpan.offset) !== 0x7b) {
    return undefined;
  }
  const tree = jsonc.parseTree(text.slice(itemSpan.offset, itemSpan.offset + itemSpan.length));
  const first = tree?.children?.[0];
  const placeholder = `key-${core.itemIndex + 1}`;
  const property = `${JSON.stringify(key)}: "`;
  let insertAt: number;
  let before: string;
  let after: string;
  if (!first) {
    // An empty object: {} becomes {"id": "key-3"}.
    insertAt = itemSpan.offset + 1;
    before = property;
    after = '"';
  } else {
    const firstOffset = itemSpan.offset + first.offset;
    const between = text.slice(itemSpan.offset + 1, firstOffset);
    const lineBreak = between.lastIndexOf('\n');
    if (lineBreak >= 0) {
      // One property per line: add a line with the first property's indentation.
      insertAt = itemSpan.offset + 1;
      const eol = document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
      before = `${eol}${between.slice(lineBreak + 1)}${property}`;
      after = '",';
    } else {
      insertAt = firstOffset;
      before = property;
      after = '", ';
    }
  }
  const action = new vscode.CodeAction(vscode.l10n.t('Add the primary key "{0}"', key), vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.isPreferred = true;
  // A plain edit rather than a SnippetTextEdit: snippet insertion re-indents inserted lines in
  // some VS Code builds. The command then selects the placeholder value for typing over it.
  action.edit = new vscode.WorkspaceEdit();
  action.edit.insert(document.uri, document.positionAt(insertAt), `${before}${placeholder}${after}`);
  action.command = {
    command: SELECT_COMMAND,
    title: action.title,
    arguments: [document.uri, insertAt + before.length, placeholder.length],
  };
  return action;
}

/** Writes a number or boolean key as the string of the same characters: 42 becomes "42". */
function keyToString(document: vscode.TextDocument, core: DdstoreDiagnostic, diagnostic: vscode.Diagnostic): vscode.CodeAction | undefined {
  const range = spanRange(document, core.span);
  const literal = document.getText(range);
  const kind = jsonc.createScanner(literal, true).scan();
  // SyntaxKind: 8 true, 9 false, 11 number.
  if (kind !== 11 && kind !== 8 && kind !== 9) {
    return undefined;
  }
  const action = new vscode.CodeAction(vscode.l10n.t('Write the key as the string "{0}"', literal), vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.isPreferred = true;
  action.edit = new vscode.WorkspaceEdit();
  action.edit.replace(document.uri, range, JSON.stringify(literal));
  return action;
}

/**
 * Returns the span to delete for removing the item of a diagnostic: the item and the comma
 * that separates it from its neighbour. Undefined when a comment sits next to the item.
 */
function itemRemovalRange(text: string, core: DdstoreDiagnostic): { offset: number; length: number } | undefined {
  const parsed = parseDdstoreText(text).document;
  const itemSpan = core.itemIndex === undefined ? undefined : parsed?.items[core.itemIndex]?.span;
  if (!itemSpan) {
    return undefined;
  }
  const end = itemSpan.offset + itemSpan.length;
  const before = skipWhitespaceBackward(text, itemSpan.offset);
  if (text.charCodeAt(before) === 0x2c /* , */) {
    return { offset: before, length: end - before };
  }
  if (text.charCodeAt(before) !== 0x5b /* [ */) {
    return undefined;
  }
  const after = skipWhitespaceForward(text, end);
  const removeTo = text.charCodeAt(after) === 0x2c ? skipWhitespaceForward(text, after + 1) : end;
  return { offset: itemSpan.offset, length: removeTo - itemSpan.offset };
}

function skipWhitespaceBackward(text: string, offset: number): number {
  let index = offset - 1;
  while (index >= 0 && isWhitespace(text.charCodeAt(index))) {
    index--;
  }
  return index;
}

function skipWhitespaceForward(text: string, offset: number): number {
  let index = offset;
  while (index < text.length && isWhitespace(text.charCodeAt(index))) {
    index++;
  }
  return index;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Returns the key with the lowest suffix -2, -3, … that no item of the file uses. */
function uniqueKeyFor(text: string, core: DdstoreDiagnostic): string | undefined {
  const document = parseDdstoreText(text).document;
  const literal = text.slice(core.span.offset, core.span.offset + core.span.length);
  let current: unknown;
  try {
    current = JSON.parse(literal);
  } catch {
    return undefined;
  }
  if (!document || typeof current !== 'string') {
    return undefined;
  }
  const used = new Set<string>();
  for (const item of document.items) {
    if (typeof item.value === 'object' && item.value !== null) {
      for (const value of Object.values(item.value)) {
        if (typeof value === 'string') used.add(value);
      }
    }
  }
  for (let suffix = 2; ; suffix++) {
    const candidate = `${current}-${suffix}`;
    if (!used.has(candidate)) {
      return candidate;
    }
  }
}

/** Adds `conflictMode` before `items`, formatted like the file. */
function conflictModeEdits(text: string, document: vscode.TextDocument, mode: ConflictMode): jsonc.Edit[] {
  const formattingOptions: jsonc.FormattingOptions = {
    insertSpaces: true,
    tabSize: document.lineCount > 1 ? indentOf(document) : 2,
    eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
  };
  return jsonc.modify(text, ['conflictMode'], mode, {
    formattingOptions,
    getInsertionIndex: (properties) => {
      const items = properties.indexOf('items');
      return items >= 0 ? items : properties.length;
    },
  });
}

function indentOf(document: vscode.TextDocument): number {
  const second = document.lineAt(1).firstNonWhitespaceCharacterIndex;
  return second > 0 && second <= 8 ? second : 2;
}

/** True when the range is on a top-level property of the file, not inside the items. */
function isOnTopLevel(document: vscode.TextDocument, range: vscode.Range): boolean {
  const offset = document.offsetAt(range.start);
  if (offset > SETTINGS_SCAN_LIMIT) {
    return false;
  }
  // getLocation reads the text only up to the offset, so the rest of the file is not copied.
  const head = document.getText(new vscode.Range(new vscode.Position(0, 0), document.positionAt(offset + 1)));
  const location = jsonc.getLocation(head, offset);
  return location.path.length === 0 || location.path[0] !== 'items' || (location.path.length === 1 && location.isAtPropertyKey);
}

/** Runs the command that asks for a site and a datastore and writes them into the file. */
function bindAction(document: vscode.TextDocument, diagnostics: vscode.Diagnostic[]): vscode.CodeAction {
  const action = new vscode.CodeAction(vscode.l10n.t('Bind this file to a datastore…'), vscode.CodeActionKind.QuickFix);
  action.diagnostics = diagnostics;
  action.command = { command: BIND_COMMAND, title: action.title, arguments: [document.uri] };
  return action;
}
