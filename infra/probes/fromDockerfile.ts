/**
 * The one entry point from a Dockerfile on disk to probes, shared by the Pulumi program
 * and the `probes` CLI so both give the same answer for the same file.
 */
import * as fs from "node:fs";

import { DockerfileError } from "../errors";
import { readStageFacts, type StageFacts } from "../dockerfile/facts";
import { deriveProbes, type ProbeDerivation, type ProbeOptions } from "./derive";

/** A Dockerfile's target-stage facts and the probes derived from them. */
export interface DockerfileProbes extends ProbeDerivation {
    facts: StageFacts;
}

/**
 * Read `file`, take stage `target` (default: last) with `buildArgs` applied, and derive its probes.
 *
 * @throws DockerfileError when the file cannot be read or its HEALTHCHECK cannot be mapped
 */
export function probesFromDockerfile(file: string, target?: string, options: ProbeOptions = {}, buildArgs: Record<string, string> = {}): DockerfileProbes {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new DockerfileError(file, undefined, `cannot read the Dockerfile: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const facts = readStageFacts(text, file, target, buildArgs);
    return { facts, ...deriveProbes(facts, options) };
}
