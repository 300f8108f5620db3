/**
 * The build arguments a Dockerfile declares for one target stage: the global ARGs (before the
 * first FROM, usable in FROM lines) and the ARGs of every stage the target needs (the target, the
 * stage it is built FROM, the stages it `COPY --from`s, and theirs in turn), as BuildKit builds them. Docker warns about, and ignores, any other `--build-arg`;
 * this package refuses them instead (`ragstar:image.buildArgs`).
 */
import * as fs from "node:fs";

import { Arg, Copy, DockerfileParser, From } from "dockerfile-ast";

/**
 * @param dockerfile path of the Dockerfile
 * @param target build stage name (`FROM … AS <target>`), or undefined for the last stage
 * @returns the declared names, sorted; empty when the target stage does not exist (the probe reader reports that)
 */
export function declaredBuildArgs(dockerfile: string, target: string | undefined): string[] {
    const parsed = DockerfileParser.parse(fs.readFileSync(dockerfile, "utf8"));
    const global = new Set<string>();
    const stages: { name: string | null; needs: string[]; args: Set<string> }[] = [];
    for (const instruction of parsed.getInstructions()) {
        if (instruction instanceof From) {
            stages.push({ name: instruction.getBuildStage(), needs: [instruction.getImageName() ?? ""], args: new Set() });
        } else if (instruction instanceof Copy && stages.length > 0) {
            // getFromFlag() misses a --from followed by other flags in dockerfile-ast 0.7.1.
            const from = instruction.getFlags().find((flag) => flag.getName().toLowerCase() === "from")?.getValue();
            if (from) stages[stages.length - 1].needs.push(from);
        } else if (instruction instanceof Arg) {
            const names = instruction.getProperties().map((p) => p.getName());
            for (const name of names) (stages.length === 0 ? global : stages[stages.length - 1].args).add(name);
        }
    }
    const byName = (name: string) => stages.find((s) => s.name !== null && s.name.toLowerCase() === name.toLowerCase());
    const names = new Set(global);
    const pending = [target === undefined ? stages[stages.length - 1] : byName(target)];
    const seen = new Set<unknown>();
    for (let stage = pending.pop(); stage !== undefined || pending.length > 0; stage = pending.pop()) {
        if (stage === undefined || seen.has(stage)) continue;
        seen.add(stage);
        for (const name of stage.args) names.add(name);
        // A stage name, or an index (COPY --from=0); anything else is an external image.
        pending.push(...stage.needs.map((need) => (/^\d+$/.test(need) ? stages[Number(need)] : byName(need))));
    }
    return [...names].sort();
}
