/**
 * Build stages: which instructions belong to which stage, what each stage is called, the global
 * ARGs its FROM line sees, and which stage a name refers to, by BuildKit's rules:
 *
 * - the instructions before the first FROM are the preamble: BuildKit's meta args, where only
 *   ARG may stand (the reader refuses anything else, instructions/parse.go `Parse`);
 * - a stage's name is its `AS name` lower-cased (parse.go `parseBuildStageName`);
 * - `FROM <name>` refers to an earlier stage only when the expanded text equals the stage
 *   name exactly (dockerfile2llb/convert.go `addState` looks it up case-sensitively), while
 *   the build target and `COPY --from=<name>` match without regard to case (`findStateByName`
 *   lowercases) and may name any stage; `COPY --from=<n>` is the n-th stage (`findStateByIndex`);
 * - a global ARG's default may use the global ARGs before it, and a `--build-arg` of the same
 *   name replaces it (the meta args `FROM` is expanded with).
 *
 * When two stages share a name the first one is taken (BuildKit warns, build check
 * `DuplicateStageName`).
 */
import type { From, Instruction } from "dockerfile-ast";

import { DockerfileError } from "../errors";

/** One build stage: its FROM and the instructions up to the next FROM. */
export interface StageRecord {
    /** `AS name` lower-cased; undefined for an unnamed stage. */
    name: string | undefined;
    /** 0-based position among the stages. */
    index: number;
    from: From;
    instructions: Instruction[];
}

/** A Dockerfile's instructions grouped: the preamble before the first FROM, then each stage. */
export interface StageSplit {
    preamble: Instruction[];
    stages: StageRecord[];
}

/** Group instructions into stages at each FROM. Nothing is checked here. */
export function groupStages(instructions: readonly Instruction[]): StageSplit {
    const preamble: Instruction[] = [];
    const stages: StageRecord[] = [];
    for (const instruction of instructions) {
        if (instruction.getKeyword() === "FROM") {
            const from = instruction as From;
            stages.push({ name: from.getBuildStage()?.toLowerCase() ?? undefined, index: stages.length, from, instructions: [] });
        } else if (stages.length === 0) {
            preamble.push(instruction);
        } else {
            stages[stages.length - 1].instructions.push(instruction);
        }
    }
    return { preamble, stages };
}

/**
 * Record the global ARGs of one ARG in the preamble, in order: a `--build-arg` of the name wins,
 * else the default expanded with the global ARGs so far, else (`ARG NAME`) unset.
 *
 * @param globalArgs the global ARGs so far (name → value, undefined when unset); updated
 * @param properties the ARG's names and raw defaults (null when none)
 * @param expand expands a raw default with a lookup (it may throw for a malformed word)
 */
export function addGlobalArgs(
    globalArgs: Map<string, string | undefined>,
    properties: readonly { name: string; raw: string | null }[],
    buildArgs: Readonly<Record<string, string>>,
    expand: (raw: string, lookup: (name: string) => string | undefined) => string,
): void {
    for (const { name, raw } of properties) {
        const value = Object.hasOwn(buildArgs, name) ? buildArgs[name] : raw === null ? undefined : expand(raw, (n) => globalArgs.get(n));
        globalArgs.set(name, value);
    }
}

/**
 * The earlier stage a FROM builds on, if any: the first stage before `stage` whose name equals
 * `fromText` exactly.
 *
 * @param fromText the FROM's image text, expanded with the global ARGs
 */
export function findParentStage<S extends Pick<StageRecord, "name" | "index">>(stages: readonly S[], stage: Pick<StageRecord, "index">, fromText: string): S | undefined {
    return stages.find((s) => s.index < stage.index && s.name !== undefined && s.name === fromText);
}

/** The stage a build target or `COPY --from` names, compared without regard to case; undefined when none does. */
export function findStageByName<S extends Pick<StageRecord, "name">>(stages: readonly S[], name: string): S | undefined {
    const lower = name.toLowerCase();
    return stages.find((s) => s.name !== undefined && s.name === lower);
}

/**
 * The stage to build: `target` by name (without regard to case), default the last stage.
 *
 * @throws DockerfileError when there is no stage, or no stage of that name (the message lists them)
 */
export function findTargetStage(stages: readonly StageRecord[], target: string | undefined, file: string): StageRecord {
    if (stages.length === 0) throw new DockerfileError(file, undefined, "no FROM instruction: a Dockerfile needs at least one build stage");
    if (target === undefined) return stages[stages.length - 1];
    const stage = findStageByName(stages, target);
    if (!stage) {
        const names = stages.map((s) => s.name ?? `#${s.index}`).join(", ");
        throw new DockerfileError(file, undefined, `build target "${target}" is not a stage of this Dockerfile (stages: ${names})`);
    }
    return stage;
}
