/**
 * One problem of the stack config, kept structured until it is printed, so the one formatter in
 * `parseStackConfig` can mask every value of a plain key the engine holds as secret: the value at
 * `path`, and any other value the message mentions (`{name}` placeholders filled from `mentions`).
 */
export interface ConfigProblem {
    /** Path below the `ragstar:` namespace, e.g. `["image", "username"]`. */
    path: readonly PropertyKey[];
    /** The value at `path`; undefined prints `(unset)`. */
    value: unknown;
    /** What is allowed; may mention other values as `{name}`. */
    message: string;
    /** Values the message names, each with the path it comes from (to mask it when that key is secret). */
    mentions?: Record<string, Mention>;
}

/** A value a message names: its path below `ragstar:` (default: the problem's own) and its text. */
export interface Mention {
    path?: readonly PropertyKey[];
    text: string;
}

/** A zod custom issue's params carrying the values its message mentions. */
export const mentioning = (mentions: Record<string, Mention>) => ({ mentions });
