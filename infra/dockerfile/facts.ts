/**
 * Dockerfile facts: the effective HEALTHCHECK, USER, EXPOSE, ENV, SHELL, CMD and
 * ENTRYPOINT of one build stage, read with a maintained Dockerfile parser
 * (`dockerfile-ast`, which handles the escape directive, line continuations, comments
 * and flags) and interpreted with Docker's own rules:
 *
 * - the build target is a named stage (default: the last stage);
 * - `FROM <earlier stage>` inherits that stage's image config (HEALTHCHECK, USER, EXPOSE,
 *   ENV, SHELL, CMD, ENTRYPOINT); a stage built on an external image starts from an image
 *   config this reader cannot see, which is recorded in `baseImage`;
 * - within a stage the last HEALTHCHECK, USER, SHELL, CMD and ENTRYPOINT win;
 * - every instruction of every stage is checked before anything is read, as BuildKit's
 *   `instructions.Parse` does before it builds: unknown instructions, instructions other
 *   than ARG before the first FROM, each instruction's arguments and flags
 *   (instructionRules.ts, after parse.go's `parse<Instruction>`), HEALTHCHECK and SHELL syntax;
 * - HEALTHCHECK flags are split byte by byte as split_command.go `extractBuilderFlags`
 *   does (quotes removed, `--` ends the list) and validated as moby/buildkit does
 *   (frontend/dockerfile/instructions/bflag.go and parse.go `parseHealthcheck`):
 *   `--name=value` only, unknown or repeated flags rejected, durations in Go syntax where
 *   `0` means "the default" and anything else under 1ms is an error, retries a
 *   non-negative 32-bit integer;
 * - `FROM <name>` refers to an earlier stage only when the expanded text equals the stage
 *   name exactly (dockerfile2llb/convert.go `addState` looks it up case-sensitively), while
 *   the build target matches without regard to case (`findStateByName` lowercases);
 * - the command after `CMD` is exec form when it parses as a JSON array of strings, else
 *   shell form (buildkit frontend/dockerfile/parser `parseMaybeJSON`).
 *
 * Defaults applied here are the engine's (moby daemon/health.go and
 * https://docs.docker.com/reference/dockerfile/#healthcheck): interval 30s, timeout 30s,
 * start period 0s, start interval 5s, retries 3.
 */
import {
    DockerfileParser,
    type Dockerfile,
    type Instruction,
    type From,
    type PropertyInstruction,
    type Property,
} from "dockerfile-ast";

import { DockerfileError } from "../errors";
import { extractBuilderFlags, FlagError, parseStringFlags, splitFirstWord } from "./builderFlags";
import { DurationSyntaxError, NANOSECONDS_PER_MILLISECOND, NANOSECONDS_PER_SECOND, parseGoDuration, type Nanoseconds } from "./duration";
import { checkInstruction, InstructionError } from "./instructionRules";
import { expandBuildVariables, ExpansionError } from "./lexer";
import { joinLogicalLine } from "./logicalLine";

export { expandBuildVariables } from "./lexer";

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

/** The shell Docker uses for shell-form commands when the stage sets no SHELL. */
export const DEFAULT_SHELL: readonly string[] = ["/bin/sh", "-c"];

/** A command as written: exec form (argv) or shell form (one string run by the stage's SHELL). */
export type CommandForm =
    | { form: "exec"; argv: string[]; line: number }
    | { form: "shell"; command: string; line: number };

/** The effective HEALTHCHECK of a stage, with Docker's defaults applied. */
export type HealthcheckFacts =
    | { kind: "none"; line: number }
    | {
          kind: "check";
          /** 1-based line of the HEALTHCHECK instruction. */
          line: number;
          command: CommandForm;
          /** Effective timings in nanoseconds (a flag of `0` or absent means Docker's default). */
          intervalNs: Nanoseconds;
          timeoutNs: Nanoseconds;
          startPeriodNs: Nanoseconds;
          startIntervalNs: Nanoseconds;
          /** Effective consecutive failures before "unhealthy" (0 or absent means 3). */
          retries: number;
          /** Non-fatal observations, e.g. flags Docker ignores. */
          warnings: string[];
      };

/** A variable set by ENV (visible to the running container) or only by ARG (build time only). */
export interface StageVariable {
    value: string;
    source: "ENV" | "ARG";
    line: number;
}

/** What one build stage's image config holds, as far as this Dockerfile determines it. */
export interface StageFacts {
    /** Path of the Dockerfile, as given, for messages. */
    file: string;
    /** Stage name (`AS name`) or its index as a string when unnamed. */
    stage: string;
    /** 1-based line of the stage's FROM. */
    fromLine: number;
    /** The external image at the root of the stage chain, e.g. `${PYTHON_IMAGE}`; its config is not visible here. */
    baseImage: string;
    healthcheck?: HealthcheckFacts;
    /** USER as written after build-time variable expansion, with its line. */
    user?: { value: string; line: number };
    /** Exposed ports, e.g. `{port: 8000, protocol: "tcp"}`. */
    exposedPorts: { port: number; protocol: "tcp" | "udp" | "sctp"; line: number }[];
    /** ENV values in scope at the end of the stage (ARG-only values are marked as such). */
    variables: Map<string, StageVariable>;
    /** SHELL for shell-form commands (default `/bin/sh -c`). */
    shell: string[];
    cmd?: CommandForm;
    entrypoint?: CommandForm;
}

interface StageRecord {
    name: string | undefined;
    index: number;
    from: From;
    instructions: Instruction[];
}

const lineOf = (instruction: Instruction): number => instruction.getRange().start.line + 1;

/**
 * Split the text after `CMD`/`ENTRYPOINT`/`HEALTHCHECK CMD` into exec or shell form, as
 * buildkit's `parseMaybeJSON` does: JSON array of strings → exec; a JSON array with
 * anything but strings → error; anything else (including malformed JSON) → shell form.
 */
export function parseCommandText(text: string, file: string, line: number): CommandForm {
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(trimmed);
        } catch {
            return { form: "shell", command: trimmed, line };
        }
        if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
            throw new DockerfileError(file, line, "JSON arrays in a Dockerfile must hold only strings");
        }
        return { form: "exec", argv: parsed as string[], line };
    }
    return { form: "shell", command: trimmed, line };
}

type Range = NonNullable<ReturnType<Property["getValueRange"]>>;

/** The text a parser range covers, taken from the Dockerfile itself (quotes and escapes intact). */
function textOf(text: string, range: Range): string {
    const lines = text.split("\n");
    const offset = (p: Range["start"]) => lines.slice(0, p.line).reduce((sum, l) => sum + l.length + 1, 0) + p.character;
    return text.slice(offset(range.start), offset(range.end));
}

/** Name and raw (unprocessed) value of each `NAME=value` of an ARG or ENV; value null for `ARG NAME`. */
function rawProperties(text: string, instruction: PropertyInstruction): { name: string; raw: string | null }[] {
    return instruction.getProperties().map((property) => {
        const range = property.getValueRange();
        return { name: property.getName(), raw: range ? textOf(text, range) : property.getValue() };
    });
}

/** {@link expandBuildVariables}, with a word BuildKit's lexer refuses reported at the instruction's line. */
function expandAt(raw: string, lookup: (name: string) => string | undefined, escapeChar: string, file: string, line: number): string {
    try {
        return expandBuildVariables(raw, lookup, escapeChar);
    } catch (error) {
        if (error instanceof ExpansionError) throw new DockerfileError(file, line, error.message);
        throw error;
    }
}

/** The instructions BuildKit knows (frontend/dockerfile/command/command.go); any other keyword is refused. */
export const KNOWN_INSTRUCTIONS: readonly string[] = [
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
];

/**
 * Group instructions into stages, refusing what BuildKit's `instructions.Parse` refuses
 * before any stage is built: an unknown instruction (`ParseInstruction`), and any
 * instruction but ARG before the first FROM (`CurrentStage`: "no build stage in current context").
 */
function splitStages(dockerfile: Dockerfile, text: string, file: string, buildArgs: Record<string, string>): { globalArgs: Map<string, string | undefined>; stages: StageRecord[] } {
    const globalArgs = new Map<string, string | undefined>();
    const stages: StageRecord[] = [];
    for (const instruction of dockerfile.getInstructions()) {
        const keyword = instruction.getKeyword();
        if (!KNOWN_INSTRUCTIONS.includes(keyword)) {
            const written = /^\s*(\S+)/.exec(physicalLines(text, instruction)[0] ?? "")?.[1] ?? keyword;
            throw new DockerfileError(file, lineOf(instruction), `unknown instruction: ${written} (valid: ${KNOWN_INSTRUCTIONS.join(", ")})`);
        }
        try {
            checkInstruction(keyword, argumentText(text, instruction, dockerfile.getEscapeCharacter()), dockerfile.getEscapeCharacter());
        } catch (error) {
            if (error instanceof InstructionError) throw new DockerfileError(file, lineOf(instruction), error.message);
            throw error;
        }
        if (keyword === "FROM") {
            const from = instruction as From;
            stages.push({ name: from.getBuildStage()?.toLowerCase() ?? undefined, index: stages.length, from, instructions: [] });
        } else if (stages.length === 0) {
            if (keyword !== "ARG") {
                throw new DockerfileError(file, lineOf(instruction), `${keyword} before the first FROM: no build stage in current context (only ARG may come before FROM)`);
            }
            for (const { name, raw } of rawProperties(text, instruction as PropertyInstruction)) {
                const value = Object.hasOwn(buildArgs, name) ? buildArgs[name] : raw === null ? undefined : expandAt(raw, (n) => globalArgs.get(n), dockerfile.getEscapeCharacter(), file, lineOf(instruction));
                globalArgs.set(name, value);
            }
        } else {
            stages[stages.length - 1].instructions.push(instruction);
        }
    }
    return { globalArgs, stages };
}

/** The physical lines an instruction spans, as written. */
function physicalLines(text: string, instruction: Instruction): string[] {
    const range = instruction.getRange();
    return text.split("\n").slice(range.start.line, range.end.line + 1);
}

/** The text after the keyword of an instruction's logical line (continuations joined as BuildKit joins them). */
function argumentText(text: string, instruction: Instruction, escapeChar: string): string {
    const line = joinLogicalLine(physicalLines(text, instruction), escapeChar);
    return splitFirstWord(line.trim()).rest;
}

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
function readHealthcheck(args: string, file: string, line: number): HealthcheckFacts {
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

/**
 * Check the instructions of every stage whose syntax this reader knows, as BuildKit's
 * `instructions.Parse` checks every stage before building any (not only the target's chain).
 *
 * @returns each HEALTHCHECK instruction's reading, keyed by the instruction
 * @throws DockerfileError for the first instruction BuildKit refuses
 */
function checkAllStages(stages: readonly StageRecord[], text: string, file: string, escapeChar: string): Map<Instruction, HealthcheckFacts> {
    const healthchecks = new Map<Instruction, HealthcheckFacts>();
    for (const stage of stages) {
        for (const instruction of stage.instructions) {
            const line = lineOf(instruction);
            if (instruction.getKeyword() === "HEALTHCHECK") {
                healthchecks.set(instruction, readHealthcheck(argumentText(text, instruction, escapeChar), file, line));
            } else if (instruction.getKeyword() === "SHELL") {
                shellCommand(instruction, file);
            }
        }
    }
    return healthchecks;
}

/** SHELL's argv; BuildKit's `parseShell` accepts only a non-empty JSON array. */
function shellCommand(instruction: Instruction, file: string): string[] {
    const line = lineOf(instruction);
    const command = parseCommandText(instruction.getArgumentsContent() ?? "", file, line);
    if (command.form !== "exec" || command.argv.length === 0) {
        throw new DockerfileError(file, line, 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
    }
    return command.argv;
}

function findTargetStage(stages: StageRecord[], target: string | undefined, file: string): StageRecord {
    if (stages.length === 0) throw new DockerfileError(file, undefined, "no FROM instruction: a Dockerfile needs at least one build stage");
    if (target === undefined) return stages[stages.length - 1];
    const stage = stages.find((s) => s.name === target.toLowerCase());
    if (!stage) {
        const names = stages.map((s) => s.name ?? `#${s.index}`).join(", ");
        throw new DockerfileError(file, undefined, `build target "${target}" is not a stage of this Dockerfile (stages: ${names})`);
    }
    return stage;
}

/**
 * Read the effective image config of one stage.
 *
 * @param text the Dockerfile's contents
 * @param file its path, used only in messages
 * @param target stage name (`--target`); default the last stage
 * @param buildArgs `--build-arg` values; like Docker, they replace the default of an ARG the
 *   Dockerfile declares (global or in the stage) and are ignored otherwise
 * @returns the stage's facts, following `FROM <earlier stage>` for inherited config
 * @throws DockerfileError naming the file and line for anything Docker would reject
 */
export function readStageFacts(text: string, file: string, target?: string, buildArgs: Record<string, string> = {}): StageFacts {
    const dockerfile = DockerfileParser.parse(text);
    const escapeChar = dockerfile.getEscapeCharacter();
    const { globalArgs, stages } = splitStages(dockerfile, text, file, buildArgs);
    const healthchecks = checkAllStages(stages, text, file, escapeChar);
    const targetStage = findTargetStage(stages, target, file);

    const memo = new Map<number, StageFacts>();
    const build = (record: StageRecord, seen: Set<number>): StageFacts => {
        const cached = memo.get(record.index);
        if (cached) return cached;
        const globalLookup = (name: string) => globalArgs.get(name);
        const fromText = expandAt(record.from.getImage() ?? "", globalLookup, escapeChar, file, lineOf(record.from));
        const parent = stages.find((s) => s.index < record.index && s.name !== undefined && s.name === fromText);
        const differsInCase = stages.find((s) => s.index < record.index && s.name !== undefined && s.name === fromText.toLowerCase());
        if (!parent && differsInCase) {
            throw new DockerfileError(
                file,
                lineOf(record.from),
                `FROM "${fromText}" is not stage "${differsInCase.name}": BuildKit matches FROM against stage names case-sensitively, and an image name with capitals is not a valid reference; write FROM ${differsInCase.name}`,
            );
        }
        if (parent && seen.has(parent.index)) throw new DockerfileError(file, lineOf(record.from), "circular FROM between stages");
        const inherited = parent ? build(parent, new Set([...seen, record.index])) : undefined;

        const facts: StageFacts = {
            file,
            stage: record.name ?? String(record.index),
            fromLine: lineOf(record.from),
            baseImage: inherited?.baseImage ?? (record.from.getImage() ?? ""),
            healthcheck: inherited?.healthcheck,
            user: inherited?.user,
            exposedPorts: [...(inherited?.exposedPorts ?? [])],
            variables: new Map([...(inherited?.variables ?? new Map<string, StageVariable>())].filter(([, v]) => v.source === "ENV")),
            shell: [...(inherited?.shell ?? DEFAULT_SHELL)],
            cmd: inherited?.cmd,
            entrypoint: inherited?.entrypoint,
        };
        const lookup = (name: string): string | undefined => facts.variables.get(name)?.value;

        for (const instruction of record.instructions) {
            const line = lineOf(instruction);
            switch (instruction.getKeyword()) {
                case "ARG":
                    for (const { name, raw } of rawProperties(text, instruction as PropertyInstruction)) {
                        const value = Object.hasOwn(buildArgs, name) ? buildArgs[name] : raw === null ? globalArgs.get(name) : expandAt(raw, lookup, escapeChar, file, line);
                        // An ENV of the same name takes precedence over ARG in Docker.
                        if (value !== undefined && facts.variables.get(name)?.source !== "ENV") {
                            facts.variables.set(name, { value, source: "ARG", line });
                        }
                    }
                    break;
                case "ENV":
                    for (const { name, raw } of rawProperties(text, instruction as PropertyInstruction)) {
                        facts.variables.set(name, { value: expandAt(raw ?? "", lookup, escapeChar, file, line), source: "ENV", line });
                    }
                    break;
                case "USER": {
                    const raw = (instruction.getArgumentsContent() ?? "").trim();
                    facts.user = { value: expandAt(raw, lookup, escapeChar, file, line), line };
                    break;
                }
                case "EXPOSE":
                    for (const argument of instruction.getArguments()) {
                        const expanded = expandAt(argument.getValue(), lookup, escapeChar, file, line);
                        const match = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(expanded);
                        if (!match || Number(match[1]) < 1 || Number(match[1]) > 65535) {
                            throw new DockerfileError(file, line, `EXPOSE ${expanded}: expected PORT or PORT/PROTOCOL with 1 ≤ PORT ≤ 65535 (ranges are not supported here)`);
                        }
                        facts.exposedPorts.push({ port: Number(match[1]), protocol: (match[2]?.toLowerCase() ?? "tcp") as "tcp" | "udp" | "sctp", line });
                    }
                    break;
                case "SHELL":
                    facts.shell = shellCommand(instruction, file);
                    break;
                case "CMD":
                    facts.cmd = parseCommandText(instruction.getArgumentsContent() ?? "", file, line);
                    break;
                case "ENTRYPOINT":
                    facts.entrypoint = parseCommandText(instruction.getArgumentsContent() ?? "", file, line);
                    // Docker resets an inherited CMD when ENTRYPOINT is set in a later stage.
                    if (inherited?.cmd && facts.cmd === inherited.cmd) facts.cmd = undefined;
                    break;
                case "HEALTHCHECK":
                    facts.healthcheck = healthchecks.get(instruction);
                    break;
                default:
                    break;
            }
        }
        memo.set(record.index, facts);
        return facts;
    };
    return build(targetStage, new Set());
}
