/**
 * Dockerfile facts: the effective HEALTHCHECK, USER, EXPOSE, ENV, SHELL, CMD and
 * ENTRYPOINT of one build stage, read with a maintained Dockerfile parser
 * (`dockerfile-ast`, which handles the escape directive, line continuations, comments
 * and flags) and interpreted with Docker's own rules:
 *
 * - the build target is a named stage (default: the last stage);
 * - `FROM <earlier stage>` inherits that stage's image config (HEALTHCHECK, USER, EXPOSE,
 *   ENV, SHELL, CMD, ENTRYPOINT); a stage built on an external image starts from an image
 *   config this reader cannot see, which is recorded in `baseImage`; which stage a name refers
 *   to, and in which letter case, is stages.ts's;
 * - within a stage the last HEALTHCHECK, USER, SHELL, CMD and ENTRYPOINT win;
 * - every instruction of every stage is checked before anything is read, as BuildKit's
 *   `instructions.Parse` does before it builds: unknown instructions, instructions other
 *   than ARG before the first FROM, each instruction's arguments and flags
 *   (instructionRules.ts, after parse.go's `parse<Instruction>`), HEALTHCHECK (healthcheck.ts)
 *   and SHELL (commandForm.ts) syntax;
 * - ARG, ENV, USER, EXPOSE and FROM words are expanded by BuildKit's build-time rule
 *   (expansion.ts); commands are exec or shell form (commandForm.ts).
 */
import { DockerfileParser, type Instruction, type PropertyInstruction } from "dockerfile-ast";

import { DockerfileError } from "../errors";
import { DEFAULT_SHELL, parseCommandText, parseShellArgv, type CommandForm } from "./commandForm";
import { expandBuildVariablesAt } from "./expansion";
import { readHealthcheck, type HealthcheckFacts } from "./healthcheck";
import { checkInstruction, InstructionError, KNOWN_INSTRUCTIONS } from "./instructionRules";
import { argumentText, lineOf, physicalLines, rawProperties } from "./instructionText";
import { addGlobalArgs, findParentStage, findStageByName, findTargetStage, groupStages, type StageRecord, type StageSplit } from "./stages";

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

/**
 * Refuse an instruction BuildKit's `ParseInstruction` refuses: an unknown keyword, or arguments
 * and flags its `parse<Instruction>` rejects (instructionRules.ts).
 *
 * @throws DockerfileError at the instruction's line
 */
function checkParsedInstruction(instruction: Instruction, text: string, file: string, escapeChar: string): void {
    const keyword = instruction.getKeyword();
    if (!KNOWN_INSTRUCTIONS.includes(keyword)) {
        const written = /^\s*(\S+)/.exec(physicalLines(text, instruction)[0] ?? "")?.[1] ?? keyword;
        throw new DockerfileError(file, lineOf(instruction), `unknown instruction: ${written} (valid: ${KNOWN_INSTRUCTIONS.join(", ")})`);
    }
    try {
        checkInstruction(keyword, argumentText(text, instruction, escapeChar), escapeChar);
    } catch (error) {
        if (error instanceof InstructionError) throw new DockerfileError(file, lineOf(instruction), error.message);
        throw error;
    }
}

/**
 * Check every instruction in document order, refusing what BuildKit's `instructions.Parse`
 * refuses before any stage is built (`checkParsedInstruction`, and any instruction but ARG
 * before the first FROM: `CurrentStage`, "no build stage in current context"), and read the
 * global ARGs on the way, so the first problem in the file is the one reported.
 *
 * @returns the global ARGs (name → value, undefined when unset)
 */
function checkInstructions(split: StageSplit, text: string, file: string, escapeChar: string, buildArgs: Record<string, string>): Map<string, string | undefined> {
    const globalArgs = new Map<string, string | undefined>();
    for (const instruction of split.preamble) {
        checkParsedInstruction(instruction, text, file, escapeChar);
        const keyword = instruction.getKeyword();
        if (keyword !== "ARG") {
            throw new DockerfileError(file, lineOf(instruction), `${keyword} before the first FROM: no build stage in current context (only ARG may come before FROM)`);
        }
        const line = lineOf(instruction);
        addGlobalArgs(globalArgs, rawProperties(text, instruction as PropertyInstruction), buildArgs, (raw, lookup) => expandBuildVariablesAt(raw, lookup, escapeChar, file, line));
    }
    for (const stage of split.stages) {
        for (const instruction of [stage.from, ...stage.instructions]) checkParsedInstruction(instruction, text, file, escapeChar);
    }
    return globalArgs;
}

/**
 * Read the HEALTHCHECK and SHELL of every stage, as BuildKit's `instructions.Parse` checks every
 * stage before building any (not only the target's chain).
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
                parseShellArgv(instruction.getArgumentsContent() ?? "", file, line);
            }
        }
    }
    return healthchecks;
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
    const split = groupStages(dockerfile.getInstructions());
    const globalArgs = checkInstructions(split, text, file, escapeChar, buildArgs);
    const { stages } = split;
    const healthchecks = checkAllStages(stages, text, file, escapeChar);
    const targetStage = findTargetStage(stages, target, file);

    const memo = new Map<number, StageFacts>();
    const build = (record: StageRecord, seen: Set<number>): StageFacts => {
        const cached = memo.get(record.index);
        if (cached) return cached;
        const globalLookup = (name: string) => globalArgs.get(name);
        const fromText = expandBuildVariablesAt(record.from.getImage() ?? "", globalLookup, escapeChar, file, lineOf(record.from));
        const parent = findParentStage(stages, record, fromText);
        const differsInCase = findStageByName(stages.slice(0, record.index), fromText);
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
                        const value = Object.hasOwn(buildArgs, name) ? buildArgs[name] : raw === null ? globalArgs.get(name) : expandBuildVariablesAt(raw, lookup, escapeChar, file, line);
                        // An ENV of the same name takes precedence over ARG in Docker.
                        if (value !== undefined && facts.variables.get(name)?.source !== "ENV") {
                            facts.variables.set(name, { value, source: "ARG", line });
                        }
                    }
                    break;
                case "ENV":
                    for (const { name, raw } of rawProperties(text, instruction as PropertyInstruction)) {
                        facts.variables.set(name, { value: expandBuildVariablesAt(raw ?? "", lookup, escapeChar, file, line), source: "ENV", line });
                    }
                    break;
                case "USER": {
                    const raw = (instruction.getArgumentsContent() ?? "").trim();
                    facts.user = { value: expandBuildVariablesAt(raw, lookup, escapeChar, file, line), line };
                    break;
                }
                case "EXPOSE":
                    for (const argument of instruction.getArguments()) {
                        const expanded = expandBuildVariablesAt(argument.getValue(), lookup, escapeChar, file, line);
                        const match = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(expanded);
                        if (!match || Number(match[1]) < 1 || Number(match[1]) > 65535) {
                            throw new DockerfileError(file, line, `EXPOSE ${expanded}: expected PORT or PORT/PROTOCOL with 1 ≤ PORT ≤ 65535 (ranges are not supported here)`);
                        }
                        facts.exposedPorts.push({ port: Number(match[1]), protocol: (match[2]?.toLowerCase() ?? "tcp") as "tcp" | "udp" | "sctp", line });
                    }
                    break;
                case "SHELL":
                    facts.shell = parseShellArgv(instruction.getArgumentsContent() ?? "", file, line);
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
