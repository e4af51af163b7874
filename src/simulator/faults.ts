/** A failure the simulator injects in place of, or after, the normal handling of a request. */
export type Fault =
  /** 429 with body `{"errors":["Too many requests"]}` and `x-ratelimit-reset` = `resetSeconds` (default: the real window). */
  | { kind: 'rate-limit'; resetSeconds?: number }
  /** Fails before committing. 500 sends a JSON:API body. 502/503 send an HTML page when `html` is true. */
  | { kind: 'server-error'; status?: 500 | 502 | 503; html?: boolean }
  /** Resets the connection without committing. */
  | { kind: 'reset-before-commit' }
  /** Commits the request, then resets the connection without a response. */
  | { kind: 'reset-after-commit' }
  /** Commits the request, then responds 500 (JSON:API) or 503. */
  | { kind: 'server-error-after-commit'; status?: 500 | 503 }
  /** Commits at once and sends the normal response after `ms` milliseconds. */
  | { kind: 'delay'; ms: number }
  /** Sends no response. The connection stays open until the client gives up or the simulator closes. */
  | { kind: 'hang' }
  /** An HTML error page with `content-type: text/html`, as a proxy sends. Does not commit. */
  | { kind: 'html'; status?: number }
  /** Commits, then responds 200 with a body that is not JSON. */
  | { kind: 'not-json' }
  /** Commits, then sends half the JSON body with the full `content-length` and closes the connection. */
  | { kind: 'truncated' }
  /** Commits, then responds 200 with the normal JSON padded to `bytes` bytes. */
  | { kind: 'huge-body'; bytes?: number }
  /** 307 to `location`. Does not commit. */
  | { kind: 'redirect'; location: string };

export type FaultKind = Fault['kind'];

/** Conditions a request must meet to receive a queued fault. Every given condition must hold. */
export interface FaultMatch {
  /** Compared case-insensitively. */
  method?: string;
  /** Substring of the request path, query string excluded. */
  pathIncludes?: string;
}

export interface EnqueueOptions {
  /** How many matching requests receive the fault. Default 1. */
  count?: number;
  match?: FaultMatch;
}

export interface RandomFaultConfig {
  /** Chance from 0 to 1 that a request receives a fault. */
  probability: number;
  /** Faults to choose from, uniformly. A bare kind uses that kind's defaults. */
  kinds: Array<Fault | FaultKind>;
  /** Seed of the random generator. Defaults to the simulator's `seed` option. */
  seed?: number;
  match?: FaultMatch;
}

export interface QueuedFault {
  fault: Fault;
  remaining: number;
  match?: FaultMatch;
}

export const FAULT_KINDS: readonly FaultKind[] = [
  'rate-limit',
  'server-error',
  'reset-before-commit',
  'reset-after-commit',
  'server-error-after-commit',
  'delay',
  'hang',
  'html',
  'not-json',
  'truncated',
  'huge-body',
  'redirect',
];

/** Faults that replace the handler, so the request is never committed. */
const PRE_COMMIT_KINDS: ReadonlySet<FaultKind> = new Set(['rate-limit', 'server-error', 'reset-before-commit', 'hang', 'html', 'redirect']);

export function isPreCommitFault(fault: Fault): boolean {
  return PRE_COMMIT_KINDS.has(fault.kind);
}

/** Mulberry32: a small seeded generator, so a random fault run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Queued and random faults. Queued faults take precedence, in the order they were enqueued. */
export class FaultPlan {
  private queue: QueuedFault[] = [];
  private random: { config: RandomFaultConfig; faults: Fault[]; next: () => number } | undefined;

  constructor(private readonly defaultSeed: number = Date.now()) {}

  enqueue(fault: Fault, options: EnqueueOptions = {}): void {
    const checked = parseFault(fault);
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`invalid fault count ${count}: expected a positive integer`);
    }
    this.queue.push({ fault: checked, remaining: count, match: options.match });
  }

  /** Turns random faults on, or off with `undefined`. */
  setRandom(config: RandomFaultConfig | undefined): void {
    if (config === undefined) {
      this.random = undefined;
      return;
    }
    if (!(config.probability >= 0 && config.probability <= 1)) {
      throw new Error(`invalid fault probability ${config.probability}: expected a number from 0 to 1`);
    }
    if (config.kinds.length === 0) {
      throw new Error('invalid random fault configuration: "kinds" is empty');
    }
    const faults = config.kinds.map((kind) => parseFault(typeof kind === 'string' ? { kind } : kind));
    this.random = { config, faults, next: seededRandom(config.seed ?? this.defaultSeed) };
  }

  clear(): void {
    this.queue = [];
    this.random = undefined;
  }

  /** Queued faults that have not been used up, for inspection. */
  get pending(): ReadonlyArray<Readonly<QueuedFault>> {
    return this.queue;
  }

  /** Returns the fault for this request, if any, and counts it as used. */
  take(method: string, path: string): Fault | undefined {
    const index = this.queue.findIndex((entry) => matches(entry.match, method, path));
    if (index >= 0) {
      const entry = this.queue[index];
      entry.remaining -= 1;
      if (entry.remaining === 0) {
        this.queue.splice(index, 1);
      }
      return entry.fault;
    }
    const random = this.random;
    if (random === undefined || !matches(random.config.match, method, path)) {
      return undefined;
    }
    if (random.next() >= random.config.probability) {
      return undefined;
    }
    return random.faults[Math.floor(random.next() * random.faults.length)];
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (match === undefined) {
    return true;
  }
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) {
    return false;
  }
  return match.pathIncludes === undefined || path.includes(match.pathIncludes);
}

/** Checks an untrusted fault description, for example from the control endpoint, and fills in defaults. */
export function parseFault(input: unknown): Fault {
  if (input === null || typeof input !== 'object') {
    throw new Error('invalid fault: expected an object with a "kind" field');
  }
  const fault = input as Record<string, unknown>;
  const optionalNumber = (field: string, min: number): number | undefined => {
    const value = fault[field];
    if (value === undefined) {
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new Error(`invalid fault "${String(fault.kind)}": "${field}" must be a number >= ${min}`);
    }
    return value;
  };
  const status = <T extends number>(allowed: readonly T[], fallback: T): T => {
    const value = fault.status ?? fallback;
    if (!allowed.includes(value as T)) {
      throw new Error(`invalid fault "${String(fault.kind)}": "status" must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  };

  switch (fault.kind) {
    case 'rate-limit':
      return { kind: 'rate-limit', resetSeconds: optionalNumber('resetSeconds', 0) };
    case 'server-error':
      return { kind: 'server-error', status: status([500, 502, 503] as const, 500), html: fault.html === true };
    case 'server-error-after-commit':
      return { kind: 'server-error-after-commit', status: status([500, 503] as const, 500) };
    case 'reset-before-commit':
    case 'reset-after-commit':
    case 'hang':
    case 'not-json':
    case 'truncated':
      return { kind: fault.kind };
    case 'delay':
      return { kind: 'delay', ms: optionalNumber('ms', 0) ?? 1000 };
    case 'html': {
      const value = optionalNumber('status', 100) ?? 502;
      return { kind: 'html', status: value };
    }
    case 'huge-body':
      return { kind: 'huge-body', bytes: optionalNumber('bytes', 1) ?? 64 * 1024 * 1024 };
    case 'redirect':
      if (typeof fault.location !== 'string' || fault.location === '') {
        throw new Error('invalid fault "redirect": "location" must be a non-empty string');
      }
      return { kind: 'redirect', location: fault.location };
    default:
      throw new Error(`invalid fault kind ${JSON.stringify(fault.kind)}: expected one of ${FAULT_KINDS.join(', ')}`);
  }
}
