/**
 * One HEALTHCHECK instruction → its effective check: the command and the timing with Docker's
 * defaults applied.
 *
 * - flags are split byte by byte as split_command.go `extractBuilderFlags` does (quotes removed,
 *   `--` ends the list) and validated as moby/buildkit does
 *   (frontend/dockerfile/instructions/bflag.go and parse.go `parseHealthcheck`):
 *   `--name=value` only, unknown or repeated flags rejected, durations in Go syntax where
 *   `0` means "the default" and anything else under 1ms is an error, retries a
 *   non-negative 32-bit integer;
 * - the command after `CMD` is exec or shell form (commandForm.ts).
 *
 * Defaults applied here are the engine's (moby daemon/health.go and
 * https://docs.docker.com/reference/dockerfile/#healthcheck): interval 30s, timeout 30s,
 * start period 0s, start interval 5s, retries 3.
 */
import { DockerfileError } from "../errors";
import { extractBuilderFlags, FlagError, parseStringFlags, splitFirstWord } from "./builderFlags";
import { parseCommandText, type CommandForm } from "./commandForm";
import { DurationSyntaxError, NANOSECONDS_PER_MILLISECOND, NANOSECONDS_PER_SECOND, parseGoDuration, type Nanoseconds } from "./duration";

/** Docker's defaults for HEALTHCHECK timing, in nanoseconds, and retries. */
export const DOCKER_HEALTHCHECK_DEFAULTS = {
    intervalNs: 30n * NANOSECONDS_PER_SECOND,
    timeoutNs: 30n * NANOSECONDS_PER_SECOND,
    startPeriodNs: 0n,
    startIntervalNs: 5n * NANOSECONDS_PER_SECOND,
    retries: 3,
} as const;

/** Smallest non-zero duration Docker accepts for a HEALTHCHECK flag (buildkit `parseOptInterval`). */
export const MINIMUM_HEALTHCHECK_DURATION_NS: Nanoseconds = NANOSECONDS_PER_MILLISECOND;

/**
 * A HEALTHCHECK's effective timing, Docker's defaults applied (a flag of `0` or absent means the
 * default): durations in nanoseconds; `retries` the consecutive failures before "unhealthy" (≥ 1;
 * 0 or absent means 3). What the probe mapping and the timing model (probes/timingModel.ts) read.
 */
export interface HealthcheckTiming {
    intervalNs: Nanoseconds;
    timeoutNs: Nanoseconds;
    startPeriodNs: Nanoseconds;
    startIntervalNs: Nanoseconds;
    retries: number;
}

/** The effective HEALTHCHECK of a stage, with Docker's defaults applied. */
export type HealthcheckFacts =
    | { kind: "none"; line: number }
    | ({
          kind: "check";
          /** 1-based line of the HEALTHCHECK instruction. */
          line: number;
          command: CommandForm;
          /** Non-fatal observations, e.g. flags Docker ignores. */
          warnings: string[];
      } & HealthcheckTiming);

/** A flag word (one character per byte) back as readable UTF-8 text, for messages. */
const readable = (word: string): string => Buffer.from(word, "latin1").toString("utf8");

function parseHealthcheckDuration(name: string, value: string | undefined, fallback: Nanoseconds, file: string, line: number): Nanoseconds {
    if (value === undefined || value === "") return fallback;
    let parsed: Nanoseconds;
    try {
        parsed = parseGoDuration(value);
    } catch (error) {
        if (error instanceof DurationSyntaxError) {
            throw new DockerfileError(
                file,
                line,
                `HEALTHCHECK --${name}=${readable(value)}: ${readable(error.message)}; use a Go duration with a unit (ns, us, ms, s, m, h), e.g. --${name}=30s or 1m30s`,
            );
        }
        throw error;
    }
    if (parsed === 0n) return fallback;
    if (parsed < MINIMUM_HEALTHCHECK_DURATION_NS) {
        throw new DockerfileError(file, line, `HEALTHCHECK --${name}=${readable(value)}: Interval "${name}" cannot be less than 1ms (use 0 for Docker's default)`);
    }
    return parsed;
}

function parseRetries(value: string | undefined, file: string, line: number): number {
    if (value === undefined || value === "") return DOCKER_HEALTHCHECK_DEFAULTS.retries;
    // strconv.ParseInt(value, 10, 32): optional sign, decimal digits, 32-bit range.
    if (!/^[+-]?[0-9]+$/.test(value)) {
        throw new DockerfileError(file, line, `HEALTHCHECK --retries=${readable(value)}: not a decimal integer; use e.g. --retries=3`);
    }
    const retries = Number(value);
    if (retries > 2 ** 31 - 1 || retries < -(2 ** 31)) {
        throw new DockerfileError(file, line, `HEALTHCHECK --retries=${value}: value out of range (32-bit integer)`);
    }
    if (retries < 0) throw new DockerfileError(file, line, `HEALTHCHECK --retries=${value}: --retries cannot be negative (${retries})`);
    return retries === 0 ? DOCKER_HEALTHCHECK_DEFAULTS.retries : retries;
}

/** The HEALTHCHECK flags BuildKit defines (parse.go `parseHealthcheck`). */
const HEALTHCHECK_FLAGS = ["interval", "timeout", "start-period", "start-interval", "retries"] as const;

/**
 * Read one HEALTHCHECK from its logical line, in BuildKit's order: flags split off
 * (`extractBuilderFlags`), the type is the first word (line_parsers.go `parseHealthConfig`,
 * byte-wise whitespace), `NONE` takes no arguments and leaves the flags unchecked, otherwise
 * the flags are checked (`BFlags.Parse`), the type must be `CMD` with a command
 * (`parseMaybeJSON`: exec form only for a whole JSON array of strings), then each duration
 * (`parseOptInterval`) and retries (`strconv.ParseInt(v, 10, 32)`, not negative).
 *
 * @param args the text after the keyword, continuations joined
 * @throws DockerfileError for anything BuildKit refuses
 */
export function readHealthcheck(args: string, file: string, line: number): HealthcheckFacts {
    const { flags: flagWords, rest: afterFlags } = extractBuilderFlags(args);
    const { first, rest: commandText } = splitFirstWord(afterFlags);
    const rest = commandText.trim();
    const type = first.toUpperCase();
    if (type === "") throw new DockerfileError(file, line, "HEALTHCHECK requires at least one argument (CMD <command> or NONE)");
    if (type === "NONE") {
        if (rest !== "") throw new DockerfileError(file, line, "HEALTHCHECK NONE takes no arguments");
        return { kind: "none", line };
    }
    let flags: Map<string, string>;
    try {
        flags = parseStringFlags(flagWords, HEALTHCHECK_FLAGS);
    } catch (error) {
        if (!(error instanceof FlagError)) throw error;
        throw new DockerfileError(file, line, `HEALTHCHECK ${readable(error.message)} (HEALTHCHECK accepts ${HEALTHCHECK_FLAGS.map((a) => `--${a}=VALUE`).join(", ")}; Docker does not accept a space before the value)`);
    }
    if (type !== "CMD") throw new DockerfileError(file, line, `Unknown type "${first}" in HEALTHCHECK (try CMD)`);
    if (rest === "") throw new DockerfileError(file, line, "Missing command after HEALTHCHECK CMD");
    const command = parseCommandText(rest, file, line);
    if (command.form === "exec" && command.argv.length === 0) throw new DockerfileError(file, line, "Missing command after HEALTHCHECK CMD");
    return {
        kind: "check",
        line,
        command,
        intervalNs: parseHealthcheckDuration("interval", flags.get("interval"), DOCKER_HEALTHCHECK_DEFAULTS.intervalNs, file, line),
        timeoutNs: parseHealthcheckDuration("timeout", flags.get("timeout"), DOCKER_HEALTHCHECK_DEFAULTS.timeoutNs, file, line),
        startPeriodNs: parseHealthcheckDuration("start-period", flags.get("start-period"), DOCKER_HEALTHCHECK_DEFAULTS.startPeriodNs, file, line),
        startIntervalNs: parseHealthcheckDuration("start-interval", flags.get("start-interval"), DOCKER_HEALTHCHECK_DEFAULTS.startIntervalNs, file, line),
        retries: parseRetries(flags.get("retries"), file, line),
        warnings: [],
    };
}
