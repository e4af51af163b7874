import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../core/log';
import type { PushHistoryEntry, PushJournal } from '../../core/push/pushJournal';
import { itemsConfirmed } from '../../core/push/pushJournal';
import { describeRange } from '../../core/push/pushPlan';
import type { ItemError, RequestOutcome } from '../../core/push/pushTypes';

export type WritesNode =
  | { readonly kind: 'push'; readonly entry: PushHistoryEntry; readonly running: boolean }
  | { readonly kind: 'request'; readonly entry: PushHistoryEntry; readonly outcome: RequestOutcome }
  | { readonly kind: 'error'; readonly entry: PushHistoryEntry; readonly error: ItemError };

const STATE_ICONS: Record<RequestOutcome['state'], vscode.ThemeIcon> = {
  written: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  unknown: new vscode.ThemeIcon('question', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  skipped: new vscode.ThemeIcon('circle-slash'),
};

/**
 * The Writes view: one node per push from the journal, a child per request and a child per
 * item error. The journal is on disk, so the view shows the same pushes after a reload, and
 * a push that has no end record and is not running here is shown as interrupted.
 */
export class WritesTreeProvider implements vscode.TreeDataProvider<WritesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<WritesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private entries: PushHistoryEntry[] = [];
  private readonly live = new Map<string, PushHistoryEntry>();
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly journal: PushJournal,
    private readonly logger: Logger,
  ) {}

  /** Re-reads the journal from disk. */
  reload(): Promise<void> {
    this.loaded = this.journal
      .list()
      .then((entries) => {
        this.entries = entries;
        this.changed.fire(undefined);
      })
      .catch((error: unknown) => {
        this.logger.error(`reading the write history failed: ${String(error)}`);
      });
    return this.loaded;
  }

  /** Shows a running push as its outcomes arrive. */
  updateLive(entry: PushHistoryEntry): void {
    this.live.set(entry.header.id, entry);
    this.changed.fire(undefined);
  }

  endLive(id: string): Promise<void> {
    this.live.delete(id);
    return this.reload();
  }

  isRunning(id: string): boolean {
    return this.live.has(id);
  }

  /** Lists all pushes, newest first, with live state where a push is running. */
  async list(): Promise<PushHistoryEntry[]> {
    if (!this.loaded) {
      await this.reload();
    } else {
      await this.loaded;
    }
    const merged = new Map(this.entries.map((entry) => [entry.header.id, entry]));
    for (const [id, entry] of this.live) {
      merged.set(id, entry);
    }
    return [...merged.values()].sort((a, b) => b.header.startedAt.localeCompare(a.header.startedAt));
  }

  async getChildren(node?: WritesNode): Promise<WritesNode[]> {
    if (!node) {
      const entries = await this.list();
      return entries.map((entry) => ({ kind: 'push', entry, running: this.live.has(entry.header.id) }));
    }
    if (node.kind === 'push') {
      return node.entry.outcomes.map((outcome) => ({ kind: 'request', entry: node.entry, outcome }));
    }
    if (node.kind === 'request') {
      return node.outcome.errors.map((error) => ({ kind: 'error', entry: node.entry, error }));
    }
    return [];
  }

  getTreeItem(node: WritesNode): vscode.TreeItem {
    if (node.kind === 'push') {
      return pushItem(node.entry, node.running);
    }
    if (node.kind === 'request') {
      return requestItem(node.outcome);
    }
    const item = new vscode.TreeItem(node.error.message, vscode.TreeItemCollapsibleState.None);
    item.description = `item ${node.error.itemIndex + 1}`;
    item.tooltip = node.error.message;
    item.iconPath = new vscode.ThemeIcon('warning');
    item.contextValue = 'ddstore.error';
    item.command = {
      command: 'ddstore.writes.revealItem',
      title: vscode.l10n.t('Show Item'),
      arguments: [node.entry.header.file, node.error.itemIndex, node.error.path],
    };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Describes the state of a push for its node and for tests. */
export function pushStatus(entry: PushHistoryEntry, running: boolean): 'running' | 'interrupted' | 'complete' | 'incomplete' {
  if (running) {
    return 'running';
  }
  if (!entry.end) {
    return 'interrupted';
  }
  return itemsConfirmed(entry) === entry.header.itemCount ? 'complete' : 'incomplete';
}

function pushItem(entry: PushHistoryEntry, running: boolean): vscode.TreeItem {
  const { header } = entry;
  const status = pushStatus(entry, running);
  const written = itemsConfirmed(entry);
  const fileName = path.basename(vscode.Uri.parse(header.file).path);
  const item = new vscode.TreeItem(
    `${fileName} → ${header.datastoreName ?? header.datastoreId}`,
    entry.outcomes.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = header.id;
  const when = new Date(header.startedAt).toLocaleString();
  let statusText = '';
  if (status === 'interrupted') {
    statusText = vscode.l10n.t('interrupted');
  } else if (status === 'running') {
    statusText = vscode.l10n.t('running');
  }
  item.description = `${written} of ${header.itemCount} items written · ${header.site} · ${when}${statusText ? ` · ${statusText}` : ''}`;
  const hasFailed = entry.outcomes.some((outcome) => outcome.state === 'failed' || outcome.state === 'unknown');
  item.contextValue = `ddstore.push.${status}${hasFailed ? '.hasFailed' : ''}`;
  item.iconPath =
    status === 'running'
      ? new vscode.ThemeIcon('sync~spin')
      : status === 'complete'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : status === 'interrupted'
          ? new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('problemsWarningIcon.foreground'))
          : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown(`**${header.datastoreName ?? header.datastoreId}** on \`${header.site}\`\n\n`);
  tooltip.appendMarkdown(`Datastore id: \`${header.datastoreId}\`  \nConflict mode: \`${header.conflictMode}\`  \n`);
  tooltip.appendMarkdown(`Started: ${when}  \nItems written: ${written} of ${header.itemCount} in ${header.requests.length} requests`);
  if (entry.end?.stopped) {
    tooltip.appendText(`\n\nStopped: ${entry.end.stopped.message}`);
  }
  if (status === 'interrupted') {
    tooltip.appendText('\n\nThis push did not finish (VS Code closed or reloaded). Resume sends only the requests not confirmed.');
  }
  item.tooltip = tooltip;
  return item;
}

function requestItem(outcome: RequestOutcome): vscode.TreeItem {
  const item = new vscode.TreeItem(
    describeRange(outcome),
    outcome.errors.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  const parts: string[] = [outcome.state];
  if (outcome.httpStatus) parts.push(`HTTP ${outcome.httpStatus}`);
  if (outcome.attempts > 1) parts.push(`${outcome.attempts} attempts`);
  if (outcome.durationMs) parts.push(`${outcome.durationMs} ms`);
  if (outcome.confirmedByReadBack) parts.push('confirmed by read-back');
  item.description = parts.join(' · ');
  item.tooltip = outcome.message ?? parts.join(', ');
  item.iconPath = STATE_ICONS[outcome.state];
  item.contextValue = `ddstore.request.${outcome.state}`;
  return item;
}
