import * as jsonc from 'jsonc-parser';
import * as vscode from 'vscode';
import type { DatastoreSummary } from '../../core/api/apiTypes';
import type { DatastoreClient } from '../../core/api/datastoreClient';
import { isDatastoreId } from '../../core/api/datastoreClient';
import type { ConflictMode, DdstoreDocument } from '../../core/format/model';
import { DATADOG_SITES } from '../../core/sites';

/** Asks for a Datadog site; the default site is listed first. */
export async function pickSite(preferred: string): Promise<string | undefined> {
  const items = DATADOG_SITES.map((site) => ({
    label: site.id,
    description: site.label,
    detail: site.datastoresAvailable
      ? site.apiHost
      : vscode.l10n.t('{0}: Datadog documents that Actions Datastores are not available on this site', site.apiHost),
    picked: site.id === preferred,
  })).sort((a, b) => Number(b.picked) - Number(a.picked));
  const choice = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Datadog site to push to'),
    placeHolder: vscode.l10n.t('The site your organization uses, as in the URL app.<site>'),
    ignoreFocusOut: true,
  });
  return choice?.label;
}

/** Asks for a datastore from the site's live list, or for an id typed by hand. */
export async function pickDatastore(client: DatastoreClient): Promise<DatastoreSummary | { id: string } | undefined> {
  const typeId = { label: `$(edit) ${vscode.l10n.t('Enter a datastore id…')}`, alwaysShow: true, id: '' };
  const quickPick = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string; datastore?: DatastoreSummary }>();
  quickPick.title = vscode.l10n.t('Datastore on {0}', client.endpoint.site);
  quickPick.placeholder = vscode.l10n.t('Loading datastores…');
  quickPick.busy = true;
  quickPick.ignoreFocusOut = true;
  quickPick.matchOnDescription = true;
  quickPick.matchOnDetail = true;
  quickPick.items = [typeId];
  const controller = new AbortController();
  client
    .listDatastores({ signal: controller.signal })
    .then((datastores) => {
      quickPick.items = [
        ...datastores.map((datastore) => ({
          label: datastore.name,
          description: vscode.l10n.t('primary key: {0}', datastore.primaryColumnName),
          detail: datastore.id,
          id: datastore.id,
          datastore,
        })),
        typeId,
      ];
      quickPick.placeholder = vscode.l10n.t('Choose a datastore ({0} found)', datastores.length);
    })
    .catch((error: unknown) => {
      quickPick.placeholder = vscode.l10n.t('Unable to list datastores: {0}', error instanceof Error ? error.message : String(error));
    })
    .finally(() => {
      quickPick.busy = false;
    });
  const choice = await new Promise<(vscode.QuickPickItem & { id: string; datastore?: DatastoreSummary }) | undefined>((resolve) => {
    quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
    quickPick.onDidHide(() => resolve(undefined));
    quickPick.show();
  });
  controller.abort();
  quickPick.dispose();
  if (!choice) {
    return undefined;
  }
  if (choice.datastore) {
    return choice.datastore;
  }
  const id = await vscode.window.showInputBox({
    title: vscode.l10n.t('Datastore id'),
    prompt: vscode.l10n.t("The datastore's UUID, from its page in Datadog"),
    ignoreFocusOut: true,
    validateInput: (value) => (isDatastoreId(value.trim()) ? undefined : vscode.l10n.t('A datastore id is a UUID such as 6c0dbbfd-a905-4f79-9c2f-16cb4d9a56a7.')),
  });
  return id ? { id: id.trim() } : undefined;
}

/** Asks whether existing items may be replaced; never overwriting is the first choice. */
export async function pickConflictMode(): Promise<ConflictMode | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      {
        label: 'fail_on_conflict',
        description: vscode.l10n.t('Never overwrite'),
        detail: vscode.l10n.t('A request that contains a key already in the datastore is rejected as a whole.'),
        mode: 'fail_on_conflict' as const,
      },
      {
        label: 'overwrite_on_conflict',
        description: vscode.l10n.t('Replace existing items'),
        detail: vscode.l10n.t('Items whose key exists replace the stored item completely.'),
        mode: 'overwrite_on_conflict' as const,
      },
    ],
    { title: vscode.l10n.t('When an item with the same key exists'), ignoreFocusOut: true },
  );
  return choice?.mode;
}

/**
 * Builds the edit that writes the push target into the file's `datastore` block, formatted
 * like the rest of the file. Only the ddstore object layout has a place for it.
 */
export function targetEdit(
  document: vscode.TextDocument,
  parsed: DdstoreDocument,
  target: { site: string; id: string; conflictMode?: ConflictMode },
): vscode.WorkspaceEdit | undefined {
  if (parsed.layout !== 'ddstore') {
    return undefined;
  }
  const text = document.getText();
  const formattingOptions: jsonc.FormattingOptions = {
    insertSpaces: true,
    tabSize: detectIndent(text),
    eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
  };
  const changes: jsonc.EditResult = [
    ...jsonc.modify(text, ['datastore'], { site: target.site, id: target.id }, { formattingOptions, getInsertionIndex: () => 0 }),
  ];
  let current = jsonc.applyEdits(text, changes);
  if (target.conflictMode && !parsed.conflictMode) {
    const more = jsonc.modify(current, ['conflictMode'], target.conflictMode, { formattingOptions, getInsertionIndex: () => 1 });
    current = jsonc.applyEdits(current, more);
  }
  const edit = new vscode.WorkspaceEdit();
  const full = new vscode.Range(document.positionAt(0), document.positionAt(text.length));
  // One replacement keeps the change a single undo step.
  edit.replace(document.uri, full, current);
  return edit;
}

function detectIndent(text: string): number {
  const match = /\n( +)"/.exec(text);
  return match ? Math.min(8, match[1].length) : 2;
}
