import * as vscode from 'vscode';
import type { DatastoreSummary } from '../../core/api/apiTypes';
import type { ApiKeys, DatastoreClient } from '../../core/api/datastoreClient';
import { isDatastoreId } from '../../core/api/datastoreClient';
import { errorMessage } from '../../core/errors';
import type { ConflictMode } from '../../core/format/model';
import { parseDdstoreText } from '../../core/format/parseDocument';
import type { Logger } from '../../core/log';
import { findSite } from '../../core/sites';
import { defaultSite } from '../config/settings';
import type { PrimaryKeyCache } from '../target/primaryKeyCache';
import { pickDatastore, pickSite, targetEdit } from '../target/targetPicker';

export const BIND_COMMAND = 'ddstore.bindDatastore';

/** Arguments of `ddstore.bindDatastore` for callers that want no prompts, such as tests. */
export interface BindArguments {
  readonly site?: string;
  readonly datastoreId?: string;
  readonly conflictMode?: ConflictMode;
}

export interface BindDependencies {
  /** Key store that prompts for keys when none are stored, as a push does. */
  readonly keys: { getOrAsk(site: string): Promise<ApiKeys | undefined> };
  readonly createClient: (site: string, keys: ApiKeys) => DatastoreClient;
  readonly datastores: PrimaryKeyCache;
  readonly logger: Logger;
}

/**
 * Implements `ddstore.bindDatastore`: prompts for a site and a datastore like the push does,
 * then writes them into the file's `datastore` block. With a site and a datastore id in `args`,
 * no prompt is shown and no request is sent. Returns true when the file was changed.
 */
export async function bindDatastore(deps: BindDependencies, resource?: vscode.Uri, args: BindArguments = {}): Promise<boolean> {
  const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !uri.path.endsWith('.ddstore.json')) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Open a .ddstore.json file to choose its datastore.'));
    return false;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const parsed = parseDdstoreText(document.getText()).document;
  if (!parsed || parsed.layout !== 'ddstore') {
    void vscode.window.showErrorMessage(
      vscode.l10n.t('Only a file of the form {"items": [...]} can name its datastore. Fix the JSON or wrap the items in an object first.'),
    );
    return false;
  }

  const site = args.site ?? (await pickSite(parsed.datastore?.site ?? defaultSite(uri)));
  if (!site) {
    return false;
  }
  if (!findSite(site)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('"{0}" is not a Datadog site. Choose a site from the list.', site));
    return false;
  }
  let datastore: DatastoreSummary | { id: string } | undefined;
  if (args.datastoreId) {
    if (!isDatastoreId(args.datastoreId)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('"{0}" is not a datastore id. Datastore ids are UUIDs.', args.datastoreId));
      return false;
    }
    datastore = { id: args.datastoreId };
  } else {
    datastore = await pickFromSite(deps, site);
  }
  if (!datastore) {
    return false;
  }
  if ('primaryColumnName' in datastore) {
    deps.datastores.remember(site, datastore);
  }

  const edit = targetEdit(document, parsed, { site, id: datastore.id, conflictMode: args.conflictMode });
  if (!edit || !(await vscode.workspace.applyEdit(edit))) {
    deps.logger.warn(`writing the datastore into ${uri.fsPath} failed`);
    return false;
  }
  deps.logger.info(`bound ${uri.fsPath} to datastore ${datastore.id} on ${site}`);
  return true;
}

async function pickFromSite(deps: BindDependencies, site: string): Promise<DatastoreSummary | { id: string } | undefined> {
  const keys = await deps.keys.getOrAsk(site);
  if (!keys) {
    return undefined;
  }
  let client: DatastoreClient | undefined;
  try {
    client = deps.createClient(site, keys);
    return await pickDatastore(client);
  } catch (error) {
    deps.logger.error(`listing the datastores on ${site} failed: ${errorMessage(error)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Unable to list the datastores on {0}: {1}', site, errorMessage(error)));
    return undefined;
  } finally {
    await client?.close();
  }
}
