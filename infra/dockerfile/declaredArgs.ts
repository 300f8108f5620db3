/**
 * The build arguments a Dockerfile declares for one target stage: the global ARGs (before the
 * first FROM, usable in FROM lines) and the ARGs of every stage the target needs (the target, the
 * stage it is built FROM, the stages it `COPY --from`s, and theirs in turn), as BuildKit builds them. Docker warns about, and ignores, any other `--build-arg`;
 * this package refuses them instead (`ragstar:image.buildArgs`).
 *
 * Stages are found by the rules `readStageFacts` uses (stages.ts): names lower-cased, `FROM`
 * matched exactly against an earlier stage after the global ARGs are expanded, the target and
 * `COPY --from` without regard to case. Nothing is validated here: `readStageFacts` reports a
 * Dockerfile BuildKit refuses, and a word its lexer refuses is taken as written.
 */
import * as fs from "node:fs";

import { Arg, Copy, DockerfileParser } from "dockerfile-ast";

import { expandBuildVariables, ExpansionError } from "./expansion";
import { rawProperties } from "./instructionText";
import { addGlobalArgs, findParentStage, findStageByName, groupStages, type StageRecord } from "./stages";

/**
 * @param dockerfile path of the Dockerfile
 * @param target build stage name (`FROM … AS <target>`), or undefined for the last stage
 * @param buildArgs `--build-arg` values, for the global ARGs a FROM line expands (default: none,
 *   so the Dockerfile's defaults)
 * @returns the declared names, sorted; empty when the target stage does not exist (the probe reader reports that)
 */
export function declaredBuildArgs(dockerfile: string, target: string | undefined, buildArgs: Record<string, string> = {}): string[] {
    const text = fs.readFileSync(dockerfile, "utf8");
    const parsed = DockerfileParser.parse(text);
    const escapeChar = parsed.getEscapeCharacter();
    const expand = (raw: string, lookup: (name: string) => string | undefined): string => {
        try {
            return expandBuildVariables(raw, lookup, escapeChar);
        } catch (error) {
            if (error instanceof ExpansionError) return raw;
            throw error;
        }
    };
    const { preamble, stages } = groupStages(parsed.getInstructions());
    const globalArgs = new Map<string, string | undefined>();
    for (const instruction of preamble) {
        if (instruction instanceof Arg) addGlobalArgs(globalArgs, rawProperties(text, instruction), buildArgs, expand);
    }

    /** The stages one stage builds on: its FROM's, and its `COPY --from`s (a name, or an index: COPY --from=0). */
    const needs = (stage: StageRecord): (StageRecord | undefined)[] => {
        const fromText = expand(stage.from.getImage() ?? "", (name) => globalArgs.get(name));
        const found = [findParentStage(stages, stage, fromText)];
        for (const instruction of stage.instructions) {
            if (!(instruction instanceof Copy)) continue;
            // getFromFlag() misses a --from followed by other flags in dockerfile-ast 0.7.1.
            const from = instruction.getFlags().find((flag) => flag.getName().toLowerCase() === "from")?.getValue();
            if (from) found.push(/^\d+$/.test(from) ? stages[Number(from)] : findStageByName(stages, from));
        }
        return found;
    };

    const names = new Set(globalArgs.keys());
    const pending = [target === undefined ? stages[stages.length - 1] : findStageByName(stages, target)];
    const seen = new Set<StageRecord>();
    for (let stage = pending.pop(); stage !== undefined || pending.length > 0; stage = pending.pop()) {
        if (stage === undefined || seen.has(stage)) continue;
        seen.add(stage);
        for (const instruction of stage.instructions) {
            if (instruction instanceof Arg) for (const property of instruction.getProperties()) names.add(property.getName());
        }
        pending.push(...needs(stage));
    }
    return [...names].sort();
}
