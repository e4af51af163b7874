import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { LiveValidation } from '../diagnostics/liveValidation';

export const VALIDATE_WORKSPACE_COMMAND = 'ddstore.validateWorkspace';

/** Result of `ddstore.validateWorkspace` for programmatic callers. */
export interface WorkspaceValidationResult {
  readonly files: number;
  /** Files with at least one error. */
  readonly invalidFiles: number;
  readonly errors: number;
  readonly warnings: number;
  readonly cancelled: boolean;
}

/**
 * Validates every `.ddstore.json` file of the workspace and reports the diagnostics into the
 * Problems view, with a cancellable progress notification. Open files are validated from the
 * editor's text, the others from disk.
 */
export async function validateWorkspace(validation: LiveValidation, logger: Logger): Promise<WorkspaceValidationResult> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Validating .ddstore.json files'), cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort());
      const result = { files: 0, invalidFiles: 0, errors: 0, warnings: 0, cancelled: false };
      try {
        const uris = await vscode.workspace.findFiles('**/*.ddstore.json', '**/node_modules/**', undefined, token);
        uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
        for (const uri of uris) {
          if (token.isCancellationRequested) {
            result.cancelled = true;
            break;
          }
          progress.report({ message: vscode.workspace.asRelativePath(uri), increment: 100 / Math.max(1, uris.length) });
          try {
            const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
            const diagnostics = open
              ? (await validation.validate(open)).diagnostics
              : (await validation.validateClosedFile(uri, controller.signal)).diagnostics;
            const errors = diagnostics.filter((d) => d.severity === 'error').length;
            result.files += 1;
            result.errors += errors;
            result.warnings += diagnostics.filter((d) => d.severity === 'warning').length;
            result.invalidFiles += errors > 0 ? 1 : 0;
          } catch (error) {
            if (controller.signal.aborted) {
              result.cancelled = true;
              break;
            }
            logger.error(`validating ${uri.fsPath} failed: ${errorMessage(error)}`);
          }
        }
      } finally {
        subscription.dispose();
      }
      logger.info(
        `validated ${result.files} files: ${result.errors} errors, ${result.warnings} warnings${result.cancelled ? ' (cancelled)' : ''}`,
      );
      void announce(result);
      return result;
    },
  );
}

async function announce(result: WorkspaceValidationResult): Promise<void> {
  const summary = vscode.l10n.t(
    'Validated {0} .ddstore.json files: {1} errors and {2} warnings in {3} files with errors.',
    result.files,
    result.errors,
    result.warnings,
    result.invalidFiles,
  );
  const message = result.cancelled ? `${summary} ${vscode.l10n.t('Cancelled before all files were checked.')}` : summary;
  if (result.errors === 0) {
    void vscode.window.setStatusBarMessage(`$(check) ${message}`, 5000);
    return;
  }
  const show = vscode.l10n.t('Show Problems');
  if ((await vscode.window.showWarningMessage(message, show)) === show) {
    await vscode.commands.executeCommand('workbench.actions.view.problems');
  }
}
