// UI driver: lets tests in the extension host press workbench buttons that the VS Code API cannot
// reach, such as modal dialogs and notification buttons.
//
// Protocol, in the folder that DDSTORE_UI_DRIVER_DIR names: the test writes `<id>.request.json`
// (by renaming a finished temporary file, so the harness never reads half a request). The harness
// checks the folder every 50 ms, performs the request on the workbench page with playwright-core and
// writes `<id>.response.json` the same way: `{ok: true, ...result}` or `{ok: false, error}`.
// test/integration/support/uiDriver.ts is the test side.
//
// Requests (timeoutMs defaults to 10000 and bounds each wait):
//   {action: 'dialog'}                          waits for a modal dialog and returns {message, detail, buttons}
//   {action: 'click', role, name, scope?}       clicks the one element with this ARIA role and exact
//                                               accessible name; scope 'dialog' or 'notifications'
//                                               limits the search to the modal dialog or the toasts
//   {action: 'notifications'}                   returns {texts}: the text of each visible notification toast
//   {action: 'waitForHidden', scope}            waits until no modal dialog ('dialog') or toast ('notifications') is visible
//   {action: 'screenshot', file}                saves a PNG of the workbench to the absolute path `file`

import fs from 'node:fs';
import path from 'node:path';

const POLL_MS = 50;
const DEFAULT_TIMEOUT_MS = 10_000;
const SCOPES = {
  dialog: '.monaco-dialog-box',
  notifications: '.notifications-toasts .notification-toast',
};

/** Starts performing the requests in `folder` on `page`; returns a function that stops it. */
export function startUiDriver(page, folder, log) {
  const seen = new Set();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const names = fs.readdirSync(folder).filter((name) => name.endsWith('.request.json') && !seen.has(name)).sort();
      for (const name of names) {
        seen.add(name);
        const id = name.slice(0, -'.request.json'.length);
        let response;
        try {
          const request = JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'));
          log(`ui driver: ${JSON.stringify(request)}`);
          response = { ok: true, ...(await perform(page, request)) };
        } catch (error) {
          response = { ok: false, error: error instanceof Error ? error.message : String(error) };
          log(`ui driver: request ${id} failed: ${response.error}`);
        }
        const temporary = path.join(folder, `${id}.response.tmp`);
        fs.writeFileSync(temporary, JSON.stringify(response));
        fs.renameSync(temporary, path.join(folder, `${id}.response.json`));
      }
    } catch (error) {
      log(`ui driver: ${error.message}`);
    } finally {
      busy = false;
    }
  }, POLL_MS);
  return () => clearInterval(timer);
}

async function perform(page, request) {
  const timeout = Number.isInteger(request.timeoutMs) ? request.timeoutMs : DEFAULT_TIMEOUT_MS;
  switch (request.action) {
    case 'dialog': {
      const dialog = page.locator(SCOPES.dialog);
      await dialog.waitFor({ state: 'visible', timeout });
      return {
        message: (await dialog.locator('.dialog-message-text').allInnerTexts()).join('\n'),
        detail: (await dialog.locator('.dialog-message-detail').allInnerTexts()).join('\n'),
        buttons: await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts(),
      };
    }
    case 'click': {
      if (typeof request.role !== 'string' || typeof request.name !== 'string') {
        throw new Error('click needs "role" and "name" strings');
      }
      const root = scopeLocator(page, request.scope);
      // The workbench keeps hidden copies of some buttons, so only visible ones count.
      const target = root.getByRole(request.role, { name: request.name, exact: true }).filter({ visible: true });
      await target.first().waitFor({ state: 'visible', timeout });
      const count = await target.count();
      if (count !== 1) {
        throw new Error(`${count} visible elements with role ${request.role} and name "${request.name}"${request.scope ? ` in ${request.scope}` : ''}; expected exactly one`);
      }
      await target.click({ timeout });
      return { clicked: true };
    }
    case 'screenshot': {
      if (typeof request.file !== 'string' || !path.isAbsolute(request.file)) throw new Error('screenshot needs an absolute "file" path');
      await page.screenshot({ path: request.file, timeout });
      return { file: request.file };
    }
    case 'notifications': {
      return { texts: await page.locator(SCOPES.notifications).filter({ visible: true }).allInnerTexts() };
    }
    case 'waitForHidden': {
      const selector = SCOPES[request.scope];
      if (!selector) throw new Error(`waitForHidden needs scope "dialog" or "notifications", not ${JSON.stringify(request.scope)}`);
      await page.locator(selector).filter({ visible: true }).first().waitFor({ state: 'hidden', timeout });
      return {};
    }
    default:
      throw new Error(`unknown action ${JSON.stringify(request.action)}; known: dialog, click, notifications, waitForHidden, screenshot`);
  }
}

function scopeLocator(page, scope) {
  if (scope === undefined) return page.locator('body');
  const selector = SCOPES[scope];
  if (!selector) throw new Error(`unknown scope ${JSON.stringify(scope)}; use "dialog" or "notifications"`);
  return page.locator(selector);
}
