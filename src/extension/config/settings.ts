import * as vscode from 'vscode';
import { PUSH_DEFAULTS } from '../../core/push/pushEngine';
import type { PushTuning } from '../../core/push/pushJob';
import { DEFAULT_SITE } from '../../core/sites';

export const SECTION = 'ddstore';

/** Setting names, so code and package.json cannot drift apart silently. */
export const SettingKeys = {
  concurrency: 'concurrency',
  maxAttempts: 'maxAttempts',
  requestTimeoutSeconds: 'requestTimeoutSeconds',
  maxRateLimitWaitSeconds: 'maxRateLimitWaitSeconds',
  defaultSite: 'defaultSite',
  apiUrlOverride: 'apiUrlOverride',
  validationDelayMs: 'validation.delayMs',
} as const;

export const API_URL_ENV = 'DDSTORE_API_URL';

function clamp(value: number | undefined, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return fallback;
  }
  return Math.min(max, Math.max(min, Math.round(value)));
}

export function pushTuning(scope?: vscode.Uri): PushTuning {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    concurrency: clamp(config.get<number>(SettingKeys.concurrency), 1, 16, PUSH_DEFAULTS.concurrency),
    maxAttempts: clamp(config.get<number>(SettingKeys.maxAttempts), 1, 10, 5),
    timeoutMs: clamp(config.get<number>(SettingKeys.requestTimeoutSeconds), 1, 600, 30) * 1000,
    maxRateLimitWaitMs: clamp(config.get<number>(SettingKeys.maxRateLimitWaitSeconds), 1, 3600, 120) * 1000,
  };
}

export function defaultSite(scope?: vscode.Uri): string {
  return vscode.workspace.getConfiguration(SECTION, scope).get<string>(SettingKeys.defaultSite) || DEFAULT_SITE;
}

/**
 * Returns the API URL override from the user's own settings or the environment.
 * Workspace and folder values are ignored on purpose: a repository must never be able to
 * send keys to another host. The endpoint code also rejects anything but loopback.
 */
export function apiUrlOverride(): { value: string; source: string } | undefined {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>(SettingKeys.apiUrlOverride);
  const fromUser = inspected?.globalValue;
  if (typeof fromUser === 'string' && fromUser.trim() !== '') {
    return { value: fromUser, source: `the user setting ${SECTION}.${SettingKeys.apiUrlOverride}` };
  }
  const fromEnvironment = process.env[API_URL_ENV];
  if (fromEnvironment && fromEnvironment.trim() !== '') {
    return { value: fromEnvironment, source: `the environment variable ${API_URL_ENV}` };
  }
  return undefined;
}

export function validationDelayMs(): number {
  return clamp(vscode.workspace.getConfiguration(SECTION).get<number>(SettingKeys.validationDelayMs), 0, 5000, 300);
}
