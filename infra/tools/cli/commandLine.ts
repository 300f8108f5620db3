/**
 * The command-line parsing every CLI here shares, on Node's `util.parseArgs`: a `--help`/`-h`
 * flag that asks for the usage, and a parse error that is a usage error. The runner
 * (infra/tools/cli/runCli.ts) turns both into output and an exit status.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Bad usage: an unknown flag, a missing or malformed argument. The runner prints the message
 * (when there is one) and the usage on stderr, and exits 2, the conventional status for bad usage.
 */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** `--help`/`-h` was given: the runner prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
    constructor() {
        super("help requested");
        this.name = "HelpRequested";
    }
}

/**
 * Parse `config.args` (with `help`/`-h` added to its options).
 *
 * @returns the parsed values and positionals
 * @throws UsageError with `util.parseArgs`'s message when the arguments do not parse
 * @throws HelpRequested when `--help` or `-h` is given
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): Parsed<T> {
    let parsed: Parsed<T>;
    try {
        parsed = parseArgs({ ...config, options: { ...config.options, help: { type: "boolean", short: "h" } } } as T);
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    if ((parsed.values as Record<string, unknown>).help) throw new HelpRequested();
    return parsed;
}

/**
 * A whole number ≥ 1 given as a flag's text, e.g. `--runs 5`.
 *
 * @throws UsageError naming the flag and the text otherwise
 */
export function positiveInteger(flag: string, text: string): number {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, not ${text}`);
    return value;
}
