// Type declarations for the `trailmark` Node SDK (hand-written; the code is plain ES modules
// in src/ with JSDoc). Shapes of server answers follow shared/API.md.

/** Property and trait values: a flat map (SEMANTICS §1), at most 64 KiB as JSON. */
export type PropertyValue = string | number | boolean | null;
export type Properties = Record<string, PropertyValue>;

/** A time: a Date, milliseconds since the epoch (fractions allowed), or RFC 3339 text. */
export type TimeInput = Date | number | string;

/** Keeps the process's anonymous id between runs. */
export interface AnonymousIdStore {
  load(): string | undefined;
  save(id: string): void;
}

/** What a failure report is about. */
export interface FailureInfo {
  /** Ids of the events concerned (empty for identify calls). */
  eventIds: string[];
  /** Identify calls concerned. */
  identifies: number;
  /** true: refused for good and discarded; false: retries ran out, kept queued for the next flush. */
  dropped: boolean;
}

export interface TrailmarkOptions {
  /** `https://host:port` (TLS), `http://host:port` (h2c, `--plaintext` servers) or `host:port` (TLS). */
  host: string;
  /** Write key: `sk_live_…` (or `pk_live_…` from an allowed origin). */
  key: string;
  /** Send a batch once this many events are queued. Default 100; 1..1000. */
  flushAt?: number;
  /** Send what is queued at least this often, in ms. Default 5000. */
  flushInterval?: number;
  /** Events held at most; beyond it the oldest are dropped and counted. Default 10000. */
  maxQueueSize?: number;
  /** Events per `/v1/batch` request. Default 1000 (the server's limit). */
  maxBatchEvents?: number;
  /** JSON bytes per `/v1/batch` request. Default 4 MiB (the server takes 5 MiB). */
  maxBatchBytes?: number;
  /** Retries of a retryable failure before a flush gives up and keeps the batch queued. Default 8; `Infinity` allowed. */
  maxRetries?: number;
  /** First backoff ceiling in ms (full jitter, doubling). Default 100. */
  retryBaseMs?: number;
  /** Largest backoff ceiling in ms. Default 10000. */
  retryCapMs?: number;
  /** Deadline of each request in ms. Default 15000. */
  timeoutMs?: number;
  /** CA certificate(s) to trust: PEM text, a Buffer, or a path to a PEM file (e.g. `DATA/tls/ca.pem`). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default true. Turn off only for throwaway development servers. */
  rejectUnauthorized?: boolean;
  /** Where the anonymous id lives. Default: in memory. */
  anonymousIdStore?: AnonymousIdStore;
  /** Called for every batch or identify the SDK could not deliver. Default: a process warning. */
  onError?: (error: TrailmarkError, info: FailureInfo) => void;
}

export interface TrackInput {
  /** 1..200 bytes; `$`-names are system events (`$pageview`, `$exposure`). */
  event: string;
  properties?: Properties;
  /** 1..256 bytes. */
  userId?: string;
  /** ..200 bytes. Defaults to the process's anonymous id when neither id is given. */
  anonymousId?: string;
  /** Defaults to now. */
  timestamp?: TimeInput;
  sessionId?: string;
  url?: string;
  path?: string;
  referrer?: string;
  /** Your own idempotency key (..128 bytes); default a fresh UUIDv7. */
  eventId?: string;
}

export interface IdentifyInput {
  userId: string;
  traits?: Properties;
  /** Defaults to the process's anonymous id. */
  anonymousId?: string;
  timestamp?: TimeInput;
}

export interface TrailmarkStats {
  /** Waiting to be sent, including the batch in flight and identify calls. */
  queued: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Events acknowledged (stored, or recognised as already stored). */
  sent: number;
  batches: number;
  /** Events the server acknowledged as duplicates (retries of stored events). */
  duplicates: number;
  /** Events refused for good and discarded. */
  rejected: number;
  /** Requests retried. */
  retries: number;
  /** Identify calls acknowledged. */
  identifies: number;
}

export class Trailmark {
  constructor(options: TrailmarkOptions);
  /** Queues an event; returns its `event_id`. Throws TypeError/RangeError naming a bad field. */
  track(input: TrackInput): string;
  /** Queues an identify call (`POST /v1/identify`). */
  identify(input: IdentifyInput): void;
  /** Starts a new anonymous id (log-out); returns it. */
  reset(): string;
  /** Resolves when everything queued before the call is acknowledged; rejects with the last failure otherwise. */
  flush(): Promise<void>;
  /** Flushes, then closes the HTTP/2 session. Later calls are ignored. Never rejects. */
  shutdown(): Promise<void>;
  readonly anonymousId: string;
  readonly droppedEvents: number;
  readonly stats: TrailmarkStats;
}

export type QueryParams = Record<string, string | number | boolean | Date | Array<string | number> | null | undefined>;

export interface EventRow {
  project: string;
  event: string;
  anonymous_id: string;
  user_id: string | null;
  user: string | null;
  timestamp: string;
  timestamp_us: number;
  received_at: string | null;
  received_at_us: number | null;
  session_id: string | null;
  event_id: string | null;
  url: string | null;
  path: string | null;
  referrer: string | null;
  properties: Properties;
  source: string;
  medium: string;
  campaign: string | null;
  source_rule: string;
  source_confidence: string;
  seq: number;
  [column: string]: unknown;
}

export interface FunnelStep {
  event: string;
  where?: Properties;
}

export interface FunnelBody {
  from: TimeInput;
  to: TimeInput;
  steps: Array<string | FunnelStep>;
  windows?: Array<number | string | null>;
  window?: number | string;
  strict?: boolean;
  allowance?: number | string;
  count?: 'units' | 'sessions';
  unit?: 'user' | 'anonymous';
  breakdown?: string;
  experiment?: { name: string; control?: string; exposureAsFirstStep?: boolean; exposure_as_first_step?: boolean };
  [key: string]: unknown;
}

export interface QueryClientOptions {
  host: string;
  /** `rk_live_…` or `sk_live_…`. */
  key: string;
  ca?: string | Buffer | Array<string | Buffer>;
  rejectUnauthorized?: boolean;
  /** Default 30000 ms. */
  timeoutMs?: number;
  /** Retries of retryable failures (503 while replaying, 429, connection loss). Default 3. */
  maxRetries?: number;
}

/** Reads from the JSON gateway; parameters in camelCase or snake_case. */
export class TrailmarkQueryClient {
  constructor(options: QueryClientOptions);
  query(params: QueryParams): Promise<{ events: EventRow[]; next_cursor: string | null }>;
  /** Every matching row, following cursors. */
  events(params: QueryParams): AsyncGenerator<EventRow>;
  stats(params: QueryParams): Promise<{ metric: string; rows: Array<{ value: number; [group: string]: unknown }> }>;
  sources(params?: QueryParams): Promise<{ sources: Array<{ source: string; medium: string; campaign: string | null; events: number; uniques: number }> }>;
  user(userId: string, params?: QueryParams): Promise<Record<string, unknown>>;
  funnel(body: FunnelBody): Promise<{ groups: Array<Record<string, unknown>>; comparisons?: Array<Record<string, unknown>> }>;
  health(): Promise<{ status: 'ok' | 'replaying'; events: number }>;
  close(): Promise<void>;
}

export class TrailmarkError extends Error {
  constructor(code: string, message: string, info?: { status?: number; details?: Record<string, unknown>; retryAfterMs?: number; cause?: unknown });
  /** The API's error code (`invalid_event`, `unauthorized`, `rate_limited`, `unavailable`, …) or `connection_error`, `timeout`, `invalid_response`, `http_<status>`, `closed`. */
  readonly code: string;
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  readonly details: Record<string, unknown>;
  /** The server's Retry-After, in ms. */
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  /** The field the server named (`events[3].timestamp`), if any. */
  readonly field: string | undefined;
}

export class MemoryAnonymousIdStore implements AnonymousIdStore {
  constructor(initial?: string);
  load(): string | undefined;
  save(id: string): void;
}

export class FileAnonymousIdStore implements AnonymousIdStore {
  constructor(path: string);
  readonly path: string;
  load(): string | undefined;
  save(id: string): void;
}

export class RetryPolicy {
  constructor(options?: { baseMs?: number; capMs?: number; maxRetries?: number; retryAfterMaxMs?: number });
  baseMs: number;
  capMs: number;
  maxRetries: number;
  retryAfterMaxMs: number;
  ceilingMs(attempt: number): number;
  delayMs(attempt: number, error?: { retryAfterMs?: number }, random?: () => number): number;
}

export class EventQueue {
  constructor(capacity: number);
  readonly capacity: number;
  readonly length: number;
  readonly dropped: number;
}

/** A UUIDv7 (RFC 9562 § 5.7) for `nowMs` (default now). */
export function uuidv7(nowMs?: number): string;
export function isUUIDv7(text: string): boolean;
export function uuidv7Millis(text: string): number;

export const LIMITS: Readonly<{
  eventBytesMax: 200;
  anonymousIdBytesMax: 200;
  userIdBytesMax: 256;
  sessionIdBytesMax: 128;
  eventIdBytesMax: 128;
  urlBytesMax: 2048;
  propertyKeyBytesMax: 256;
  propertiesBytesMax: 65536;
}>;
