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
}

export interface Receiver {
  handle(request: Request): Promise<Response>;
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
export declare function readCapped(request: Request, limit: number): Promise<Buffer | null>;
