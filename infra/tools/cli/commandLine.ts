/**
 * The command-line handling every CLI here shares, on Node's `util.parseArgs`: a `--help`/`-h`
 * flag that prints the usage (exit 0), and a parse error that prints the message and the usage
 * (exit 2, the conventional status for bad usage).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parse `config.args` (with `help`/`-h` added to its options).
 *
 * @returns the parsed values and positionals, or the exit status when the command should stop here
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usage: string): Parsed<T> | number {
    let parsed: Parsed<T>;
    try {
        parsed = parseArgs({ ...config, options: { ...config.options, help: { type: "boolean", short: "h" } } } as T);
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n${usage}\n`);
        return 2;
    }
    if ((parsed.values as Record<string, unknown>).help) {
        process.stdout.write(`${usage}\n`);
        return 0;
    }
    return parsed;
}

/** Print a usage problem with the usage text; returns 2 for bad usage. */
export function usageError(message: string, usage: string): number {
    process.stderr.write(`${message}\n${usage}\n`);
    return 2;
}
