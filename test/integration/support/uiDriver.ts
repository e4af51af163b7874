// Test side of the harness's UI driver (test/harness/ui-driver.mjs): presses workbench buttons
// that the VS Code API cannot reach, such as modal dialogs and notification buttons.
import * as fs from 'fs';
import * as path from 'path';

/** A modal dialog as the workbench shows it. */
export interface DialogContents {
  readonly message: string;
  readonly detail: string;
  readonly buttons: string[];
}

type UiRequest =
  | { action: 'dialog'; timeoutMs?: number }
  | { action: 'click'; role: string; name: string; scope?: 'dialog' | 'notifications'; timeoutMs?: number }
  | { action: 'notifications'; timeoutMs?: number }
  | { action: 'waitForHidden'; scope: 'dialog' | 'notifications'; timeoutMs?: number }
  | { action: 'screenshot'; file: string; timeoutMs?: number };

let sequence = 0;

/** True when the harness performs UI requests (DDSTORE_UI_DRIVER_DIR is set). */
export function uiDriverAvailable(): boolean {
  return Boolean(process.env.DDSTORE_UI_DRIVER_DIR);
}

/**
 * Sends one request to the harness and returns its result. Throws when the harness reports an
 * error or does not respond within the request's own timeout plus 10 s.
 */
async function request<T>(body: UiRequest): Promise<T> {
  const folder = process.env.DDSTORE_UI_DRIVER_DIR;
  if (!folder) {
    throw new Error('DDSTORE_UI_DRIVER_DIR is not set; run the test through test/harness/run-tests.sh');
  }
  sequence += 1;
  const id = `${process.pid}-${String(sequence).padStart(4, '0')}`;
  const temporary = path.join(folder, `${id}.request.tmp`);
  fs.writeFileSync(temporary, JSON.stringify(body));
  fs.renameSync(temporary, path.join(folder, `${id}.request.json`));

  const responseFile = path.join(folder, `${id}.response.json`);
  const deadline = Date.now() + (body.timeoutMs ?? 10_000) + 10_000;
  while (!fs.existsSync(responseFile)) {
    if (Date.now() > deadline) {
      throw new Error(`the harness did not respond to the UI request ${JSON.stringify(body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const response = JSON.parse(fs.readFileSync(responseFile, 'utf8')) as { ok: boolean; error?: string } & T;
  if (!response.ok) {
    throw new Error(`UI request ${JSON.stringify(body)} failed: ${response.error}`);
  }
  return response;
}

/** Waits for a modal dialog and returns its message, detail and button labels. */
export function waitForDialog(timeoutMs = 10_000): Promise<DialogContents> {
  return request<DialogContents>({ action: 'dialog', timeoutMs });
}

/** Clicks the one visible button with this exact label, inside the modal dialog or the notification toasts. */
export async function clickButton(name: string, scope: 'dialog' | 'notifications', timeoutMs = 10_000): Promise<void> {
  await request({ action: 'click', role: 'button', name, scope, timeoutMs });
}

/** Returns the text of each visible notification toast. */
export async function notificationTexts(): Promise<string[]> {
  return (await request<{ texts: string[] }>({ action: 'notifications' })).texts;
}

/** Waits until no modal dialog or notification toast is visible. */
export async function waitForHidden(scope: 'dialog' | 'notifications', timeoutMs = 10_000): Promise<void> {
  await request({ action: 'waitForHidden', scope, timeoutMs });
}

/** Saves a PNG of the workbench to an absolute path, to see what a failing test saw. */
export async function saveScreenshot(file: string): Promise<void> {
  await request({ action: 'screenshot', file });
}
