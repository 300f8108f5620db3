/**
 * Error types raised by the pure derivations. Each carries where the bad input is
 * (a file and 1-based line, or a stack config key) so the CLI and the Pulumi program
 * can print one precise line instead of a stack trace.
 */

/** A Dockerfile that Docker would reject, or whose facts cannot become safe probes. */
export class DockerfileError extends Error {
    /**
     * @param file path of the Dockerfile as given by the caller
     * @param line 1-based line of the offending instruction, or undefined for whole-file problems
     * @param detail what is wrong and what would be valid
     */
    constructor(
        readonly file: string,
        readonly line: number | undefined,
        readonly detail: string,
    ) {
        super(`${file}${line === undefined ? "" : `:${line}`}: ${detail}`);
        this.name = "DockerfileError";
    }
}

/** A stack config value that fails validation. */
export class ConfigError extends Error {
    /**
     * @param source where the config came from, e.g. `Pulumi.dev.yaml`, `stack "dev"`, `service config`
     * @param problems one line each, naming the full Pulumi key or file position, e.g. `ragstar:replicas: …`
     */
    constructor(
        readonly source: string,
        readonly problems: string[],
    ) {
        super(`${source}: invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}
