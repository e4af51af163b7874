/** Datadog sites that serve the API, with their API hosts. */
export interface DatadogSite {
  /** The `DD_SITE` value, for example `datadoghq.eu`. */
  readonly id: string;
  /** Short region name shown in pickers, for example `EU1`. */
  readonly label: string;
  /** Host name of the public API. */
  readonly apiHost: string;
  /** False where Datadog documents that Actions Datastores are not available. */
  readonly datastoresAvailable: boolean;
}

export const DATADOG_SITES: readonly DatadogSite[] = [
  { id: 'datadoghq.com', label: 'US1', apiHost: 'api.datadoghq.com', datastoresAvailable: true },
  { id: 'us3.datadoghq.com', label: 'US3', apiHost: 'api.us3.datadoghq.com', datastoresAvailable: true },
  { id: 'us5.datadoghq.com', label: 'US5', apiHost: 'api.us5.datadoghq.com', datastoresAvailable: true },
  { id: 'datadoghq.eu', label: 'EU1', apiHost: 'api.datadoghq.eu', datastoresAvailable: true },
  { id: 'ap1.datadoghq.com', label: 'AP1', apiHost: 'api.ap1.datadoghq.com', datastoresAvailable: true },
  { id: 'ap2.datadoghq.com', label: 'AP2', apiHost: 'api.ap2.datadoghq.com', datastoresAvailable: true },
  { id: 'uk1.datadoghq.com', label: 'UK1', apiHost: 'api.uk1.datadoghq.com', datastoresAvailable: true },
  { id: 'ddog-gov.com', label: 'US1-FED', apiHost: 'api.ddog-gov.com', datastoresAvailable: false },
  { id: 'us2.ddog-gov.com', label: 'US2-FED', apiHost: 'api.us2.ddog-gov.com', datastoresAvailable: false },
];

export const DEFAULT_SITE = 'datadoghq.com';

/** Finds a site by its `DD_SITE` value, also accepting `app.<site>` and `api.<site>` spellings. */
export function findSite(value: string): DatadogSite | undefined {
  const normalized = value.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const bare = normalized.replace(/^(app|api)\./, '');
  return DATADOG_SITES.find((site) => site.id === bare);
}

export function siteIds(): string[] {
  return DATADOG_SITES.map((site) => site.id);
}
