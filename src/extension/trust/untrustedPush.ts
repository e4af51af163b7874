import * as vscode from 'vscode';

/** Target of a push, as the untrusted-workspace confirmation shows it. */
export interface PushTarget {
  /** Workspace-relative path of the file. */
  readonly file: string;
  readonly site: string;
  /** Origin the keys are sent to, for example `https://api.datadoghq.eu`. */
  readonly origin: string;
  /** The datastore id, or undefined when the user picks one from the list next. */
  readonly datastoreId?: string;
  /** The profile whose keys are sent. */
  readonly profile?: string;
}

/** The parts of VS Code the confirmation reads, replaceable in tests. */
export interface TrustSeam {
  isTrusted(): boolean;
  /** Shows a modal question and returns the chosen button, or undefined when dismissed. */
  confirm(message: string, detail: string, button: string): PromiseLike<string | undefined>;
}

export const vscodeTrustSeam: TrustSeam = {
  isTrusted: () => vscode.workspace.isTrusted,
  confirm: (message, detail, button) => vscode.window.showWarningMessage(message, { modal: true, detail }, button),
};

let seam: TrustSeam = vscodeTrustSeam;

/** Replaces the seam; the extension exposes this only in extension test mode. */
export function setTrustSeamForTests(replacement: TrustSeam | undefined): void {
  seam = replacement ?? vscodeTrustSeam;
}

/**
 * Asks before a push from an untrusted workspace, because the file and its settings come
 * from someone the user has not trusted yet. The question is asked even when the command got
 * all its arguments, since another extension or a task could pass them. Returns true when the
 * push may go ahead.
 */
export async function confirmPushIfUntrusted(target: PushTarget): Promise<boolean> {
  if (seam.isTrusted()) {
    return true;
  }
  const push = vscode.l10n.t('Push');
  const message = vscode.l10n.t('This workspace is not trusted. Send the keys for {0} to {1} and write to the datastore?', target.site, target.origin);
  const lines = [
    vscode.l10n.t('File: {0}', target.file),
    vscode.l10n.t('Site: {0}', target.site),
    vscode.l10n.t('API host: {0}', target.origin),
    target.datastoreId ? vscode.l10n.t('Datastore: {0}', target.datastoreId) : vscode.l10n.t('Datastore: chosen from the list next'),
  ];
  if (target.profile) {
    lines.push(vscode.l10n.t('Key profile: {0}', target.profile));
  }
  const answer = await seam.confirm(message, lines.join('\n'), push);
  return answer === push;
}
