import * as vscode from 'vscode';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import { findSite } from '../../core/sites';
import { defaultSite } from '../config/settings';
import type { ClientFactory } from '../push/clientFactory';
import type { KeyStore } from '../secrets/keyStore';
import { askForKeys } from '../secrets/keyStore';
import type { KeyCheckResult } from '../secrets/keyValidation';
import { checkKeys, findSitesAcceptingApiKey } from '../secrets/keyValidation';
import type { KeyProfile } from '../secrets/profileStore';
import { checkProfileName, DEFAULT_PROFILE_NAME, isKeyringFailure } from '../secrets/profileStore';
import { pickSite } from '../target/targetPicker';

/** Arguments of `ddstore.setKeys` for automation; without them the user is asked. */
export interface SetKeysArguments {
  readonly site?: string;
  readonly apiKey?: string;
  readonly appKey?: string;
  /** Keep the keys in memory until the window reloads instead of SecretStorage. */
  readonly sessionOnly?: boolean;
}

/** Arguments of `ddstore.addProfile`; each missing value is asked for. */
export interface AddProfileArguments extends SetKeysArguments {
  readonly name?: string;
}

/** Arguments of the commands that act on one profile; each missing value is asked for. */
export interface ProfileArguments {
  readonly site?: string;
  readonly name?: string;
}

/** Arguments of `ddstore.validateProfile`. */
export interface ValidateProfileArguments extends ProfileArguments {
  /**
   * Whether to try the API key on the other Datadog sites after a rejection. Undefined prompts the
   * user, because this sends the key to those sites' hosts.
   */
  readonly checkOtherSites?: boolean;
}

/** Result of `ddstore.validateProfile` for programmatic callers. */
export interface ValidateProfileResult extends KeyCheckResult {
  readonly profile: string;
  /** Sites whose API accepted the key, when other sites were checked. */
  readonly otherSites?: string[];
}

interface Dependencies {
  readonly keyStore: KeyStore;
  readonly clients: ClientFactory;
  readonly logger: Logger;
}

function showError(logger: Logger, action: string, error: unknown): void {
  logger.error(`${action} failed: ${errorMessage(error)}`);
  void vscode.window.showErrorMessage(errorMessage(error));
}

/** Asks for a profile of a site; with one profile only, returns it without asking. */
async function pickProfile(keyStore: KeyStore, site: string | undefined, placeHolder: string): Promise<KeyProfile | undefined> {
  const profiles = keyStore.profiles.list().filter((profile) => !site || profile.site === site);
  if (profiles.length === 0) {
    void vscode.window.showInformationMessage(
      site ? vscode.l10n.t('No key profile exists for {0}. Run "ddstore: Add Key Profile" first.', site) : vscode.l10n.t('No key profile exists. Run "ddstore: Add Key Profile" first.'),
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    profiles.map((profile) => ({
      label: profile.name,
      description: profile.site,
      detail: [
        profile.active ? vscode.l10n.t('Active for {0}', profile.site) : undefined,
        profile.sessionOnly ? vscode.l10n.t('In memory until reload') : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      profile,
    })),
    { placeHolder, ignoreFocusOut: true },
  );
  return picked?.profile;
}

/** Resolves a profile from arguments, asking for what is missing. */
async function resolveProfile(keyStore: KeyStore, args: ProfileArguments | undefined, placeHolder: string): Promise<KeyProfile | undefined> {
  if (args?.site && args.name) {
    const siteId = findSite(args.site)?.id ?? args.site;
    const found = keyStore.profiles.list().find((profile) => profile.site === siteId && profile.name === args.name);
    if (!found) {
      throw new Error(vscode.l10n.t('No key profile "{0}" exists for {1}. Check the name, or add it with "ddstore: Add Key Profile".', args.name, siteId));
    }
    return found;
  }
  return pickProfile(keyStore, args?.site ? findSite(args.site)?.id ?? args.site : undefined, placeHolder);
}

async function addProfile(deps: Dependencies, args: AddProfileArguments | undefined): Promise<KeyProfile | undefined> {
  const { keyStore } = deps;
  const site = args?.site ?? (await pickSite(defaultSite()));
  if (!site) {
    return undefined;
  }
  if (!findSite(site)) {
    throw new Error(vscode.l10n.t('"{0}" is not a Datadog site. Choose a site from the list.', site));
  }
  const name =
    args?.name ??
    (await vscode.window.showInputBox({
      title: vscode.l10n.t('Name of the key profile for {0}', site),
      prompt: vscode.l10n.t('For example the organization name. Profiles on the same site need different names.'),
      value: keyStore.profiles.list().some((p) => p.site === findSite(site)?.id) ? '' : DEFAULT_PROFILE_NAME,
      ignoreFocusOut: true,
      validateInput: (value) => {
        const problem = checkProfileName(value.trim());
        return problem ? vscode.l10n.t('{0}', problem) : undefined;
      },
    }))?.trim();
  if (!name) {
    return undefined;
  }
  const keys = args?.apiKey && args.appKey ? { apiKey: args.apiKey, appKey: args.appKey } : await askForKeys(site, name);
  if (!keys) {
    return undefined;
  }
  if (args?.sessionOnly) {
    return keyStore.profiles.save(name, site, keys, { sessionOnly: true });
  }
  if (args?.apiKey) {
    // Automation gets the keyring error; the in-memory choice needs sessionOnly or a person.
    return keyStore.profiles.save(name, site, keys);
  }
  return keyStore.saveWithFallback(
    () => keyStore.profiles.save(name, site, keys),
    () => keyStore.profiles.save(name, site, keys, { sessionOnly: true }),
  );
}

async function validateProfile(deps: Dependencies, args: ValidateProfileArguments | undefined): Promise<ValidateProfileResult | undefined> {
  const { keyStore, clients, logger } = deps;
  const profile = await resolveProfile(keyStore, args, vscode.l10n.t('Key profile to validate'));
  if (!profile) {
    return undefined;
  }
  const keys = await keyStore.profiles.keys(profile.site, profile.name);
  if (!keys) {
    throw new Error(vscode.l10n.t('Key profile "{0}" for {1} has no readable keys. Add the profile again.', profile.name, profile.site));
  }
  const client = clients.create(profile.site, keys, 1);
  let result: KeyCheckResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Validating key profile {0} on {1}', profile.name, profile.site), cancellable: true },
      async (_progress, token) => {
        const controller = new AbortController();
        const subscription = token.onCancellationRequested(() => controller.abort());
        try {
          return await checkKeys(client, controller.signal);
        } finally {
          subscription.dispose();
        }
      },
    );
  } finally {
    await client.close();
  }
  for (const message of result.messages) {
    logger.info(`profile "${profile.name}": ${message}`);
  }

  let otherSites: string[] | undefined;
  if (result.apiKey === 'rejected') {
    let check = args?.checkOtherSites;
    if (check === undefined) {
      const tryOthers = vscode.l10n.t('Check Other Sites');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} rejected the API key of profile {1}. Check whether another Datadog site accepts it?', profile.site, profile.name),
        {
          modal: true,
          detail: vscode.l10n.t('This sends the API key to the API host of each other Datadog site. The application key is not sent.'),
        },
        tryOthers,
      );
      check = answer === tryOthers;
    }
    if (check) {
      // Only the API key goes to the other sites: validate needs no application key.
      otherSites = await findSitesAcceptingApiKey(profile.site, (site) => clients.create(site, { apiKey: keys.apiKey, appKey: '' }, 1));
      result.messages.push(
        otherSites.length > 0
          ? `The API key is valid on ${otherSites.join(', ')}. Add the profile again with that site.`
          : 'No other Datadog site accepts the API key either. Create a new API key in Datadog.',
      );
      logger.info(`profile "${profile.name}": other sites that accept the API key: ${otherSites.join(', ') || 'none'}`);
    }
  }

  const summary = result.messages.join(' ');
  if (result.apiKey === 'valid' && result.appKey === 'valid') {
    void vscode.window.showInformationMessage(vscode.l10n.t('Key profile {0}: {1}', profile.name, summary));
  } else {
    void vscode.window.showErrorMessage(vscode.l10n.t('Key profile {0}: {1}', profile.name, summary));
  }
  return { ...result, profile: profile.name, otherSites };
}

export function registerKeyCommands(deps: Dependencies): vscode.Disposable[] {
  const { keyStore, logger } = deps;
  return [
    vscode.commands.registerCommand('ddstore.setKeys', async (args?: SetKeysArguments) => {
      try {
        const site = args?.site ?? (await pickSite(defaultSite()));
        if (!site || !findSite(site)) {
          return false;
        }
        const keys = args?.apiKey && args.appKey ? { apiKey: args.apiKey, appKey: args.appKey } : await askForKeys(site);
        if (!keys) {
          return false;
        }
        let saved: KeyProfile | undefined;
        if (args?.sessionOnly || args?.apiKey) {
          saved = await keyStore.set(site, keys, { sessionOnly: args.sessionOnly });
        } else {
          saved = await keyStore.saveWithFallback(() => keyStore.set(site, keys), () => keyStore.set(site, keys, { sessionOnly: true }));
        }
        if (!saved) {
          return false;
        }
        if (!args?.apiKey) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Keys for {0} saved in key profile {1}.', site, saved.name));
        }
        return true;
      } catch (error) {
        showError(logger, 'setting keys', error);
        return false;
      }
    }),
    vscode.commands.registerCommand('ddstore.forgetKeys', async (args?: { site?: string }) => {
      const site = args?.site ?? (await pickSite(defaultSite()));
      if (!site) {
        return false;
      }
      try {
        const count = await keyStore.delete(site);
        if (!args?.site) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Removed {0} key profile(s) for {1}.', count, site));
        }
        return true;
      } catch (error) {
        showError(logger, 'forgetting keys', error);
        return false;
      }
    }),
    vscode.commands.registerCommand('ddstore.addProfile', async (args?: AddProfileArguments) => {
      try {
        const saved = await addProfile(deps, args);
        if (saved && !args?.apiKey) {
          void vscode.window.showInformationMessage(
            saved.sessionOnly
              ? vscode.l10n.t('Key profile {0} for {1} is kept in memory until VS Code reloads.', saved.name, saved.site)
              : vscode.l10n.t('Key profile {0} for {1} saved in VS Code SecretStorage and made active.', saved.name, saved.site),
          );
        }
        return saved;
      } catch (error) {
        showError(logger, 'adding a key profile', error);
        return isKeyringFailure(error) ? { error: 'storage-failed' } : undefined;
      }
    }),
    vscode.commands.registerCommand('ddstore.switchProfile', async (args?: ProfileArguments) => {
      try {
        const profile = await resolveProfile(keyStore, args, vscode.l10n.t('Key profile to use for pushes to its site'));
        if (!profile) {
          return false;
        }
        await keyStore.profiles.activate(profile.site, profile.name);
        if (!args?.name) {
          void vscode.window.showInformationMessage(vscode.l10n.t('Pushes to {0} now use key profile {1}.', profile.site, profile.name));
        }
        return true;
      } catch (error) {
        showError(logger, 'switching the key profile', error);
        return false;
      }
    }),
    vscode.commands.registerCommand('ddstore.validateProfile', async (args?: ValidateProfileArguments) => {
      try {
        return await validateProfile(deps, args);
      } catch (error) {
        showError(logger, 'validating the key profile', error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('ddstore.forgetProfile', async (args?: ProfileArguments) => {
      try {
        const profile = await resolveProfile(keyStore, args, vscode.l10n.t('Key profile to forget'));
        if (!profile) {
          return false;
        }
        if (!args?.name) {
          const forget = vscode.l10n.t('Forget');
          const answer = await vscode.window.showWarningMessage(
            vscode.l10n.t('Forget key profile {0} for {1}? Its keys are deleted from VS Code.', profile.name, profile.site),
            { modal: true },
            forget,
          );
          if (answer !== forget) {
            return false;
          }
        }
        return await keyStore.profiles.forget(profile.site, profile.name);
      } catch (error) {
        showError(logger, 'forgetting the key profile', error);
        return false;
      }
    }),
  ];
}
