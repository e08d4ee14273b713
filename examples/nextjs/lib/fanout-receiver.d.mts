/** fanout's wire contract (dev.fanout.WireContract): the limits of one request, path and tag lengths. */
export declare const WIRE: Readonly<{
  maxPathsPerRequest: number;
  maxTagsPerRequest: number;
  maxBodyBytes: number;
  maxPathLength: number;
  maxTagLength: number;
  maxWebhookIdLength: number;
  maxHop: number;
}>;
export declare const DEFAULTS: Readonly<{
  maxBodyBytes: number;
  maxPaths: number;
  maxTags: number;
  replayCacheSize: number;
  toleranceSeconds: number;
}>;
export declare const NEXT_MAX_PATH_LENGTH: number;
export declare const NEXT_MAX_TAG_LENGTH: number;
/** Catch-up nonces kept at most, one per start's webhook-id; a replayed start takes no new place. */
export declare const NONCES_KEPT: number;

export interface Invalidation {
  id: string;
  paths: string[];
  tags: string[];
  hop: number;
  /** Which chunk of a larger invalidation this request carries, or null for a whole one. */
  chunk: { index: number; count: number } | null;
}

export interface ReceiverOptions {
  /** Current secret first; more than one during a rotation. */
  secrets: string[];
  revalidatePath: (path: string) => void | Promise<void>;
  revalidateTag: (tag: string) => void | Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
  maxBodyBytes?: number;
  maxPaths?: number;
  maxTags?: number;
  replayCacheSize?: number;
  toleranceSeconds?: number;
  /** Since when this replica's cache is fresh (default: the process start). */
  freshSince?: number | string | Date;
  /** Hold readiness() at 503 until the first catch-up arrived, at most this long (default: not held). */
  holdReadinessMs?: number;
}

export interface Receiver {
  handle(request: Request): Promise<Response>;
  /** 200 {"ready":true,"caughtUp":..}, or 503 while readiness is held until the first catch-up. */
  readiness(): Response;
  isReady(): boolean;
  isCaughtUp(): boolean;
  /** ISO-8601 instant answered to catch-up signals. */
  freshSince(): string;
  replayCacheSize(): number;
}

export declare function createReceiver(options: ReceiverOptions): Receiver;
export declare function checkSecret(secret: string): string;
export declare function pathProblem(path: string): string | null;
export declare function tagProblem(tag: string): string | null;
export declare function pathname(path: string): string;
export declare function parseInvalidation(
  text: string,
  limits?: { maxPaths?: number; maxTags?: number },
): Invalidation;
export declare function parseSignal(text: string): { id: string; signal: 'start' | 'done' } | null;
export declare function processStart(): number;
export declare function readCapped(request: Request, limit: number): Promise<Buffer | null>;
