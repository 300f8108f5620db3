/**
 * What the review reads from a Dockerfile's text (pure): its HEALTHCHECK instructions, the "why"
 * of a probe change (docs/probes.md derives every probe from it), and the checkers' waivers written
 * as comments (`# checkov:skip=ID: reason`, `# hadolint ignore=DL3008,DL3009`).
 * The instructions come from the same parser the program uses (`dockerfile-ast`).
 */
import { DockerfileParser } from "dockerfile-ast";

import { physicalLines } from "../../dockerfile/instructionText";

/** One HEALTHCHECK as written: its first line (1-based) and its physical lines joined by a newline. */
export interface HealthcheckLine {
    line: number;
    text: string;
}

/** Every HEALTHCHECK instruction of the file, in order (the last one of the deployed stage applies). */
export function healthcheckLines(text: string): HealthcheckLine[] {
    return DockerfileParser.parse(text)
        .getInstructions()
        .filter((i) => i.getKeyword() === "HEALTHCHECK")
        .map((i) => ({ line: i.getRange().start.line + 1, text: physicalLines(text, i).join("\n") }));
}

/** One waiver comment: the checker, the check it waives, and the reason when one is written. */
export interface DockerfileWaiver {
    checker: "checkov" | "hadolint";
    check: string;
    reason?: string;
}

/**
 * The waivers written as comments: checkov's `checkov:skip=ID[:reason]` and hadolint's
 * `hadolint ignore=A,B` and `hadolint global ignore=A,B` (their documented inline forms).
 */
export function dockerfileWaivers(text: string): DockerfileWaiver[] {
    const out: DockerfileWaiver[] = [];
    for (const line of text.split("\n")) {
        const checkov = /^\s*#\s*checkov:skip=([A-Za-z0-9_]+)(?::\s*(.*))?$/.exec(line);
        if (checkov) out.push({ checker: "checkov", check: checkov[1], ...(checkov[2] ? { reason: checkov[2].trim() } : {}) });
        const hadolint = /^\s*#\s*hadolint\s+(?:global\s+)?ignore=([A-Za-z0-9_,\s]+)/.exec(line);
        if (hadolint) for (const check of hadolint[1].split(",").map((c) => c.trim()).filter(Boolean)) out.push({ checker: "hadolint", check });
    }
    return out;
}
