/**
 * One measurement for `bench:engine`: start a fresh process (loaded by the caller with a
 * TypeScript loader), open a throwaway local stack, run `pulumi preview`, and print as JSON
 * the milliseconds from process start to the first resource the program registers (after
 * the Stack itself) and from the preview call to it. Pure measurement; no assertions.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

import { parseCommandLine, UsageError } from "../cli/commandLine";
import { asFailure, CommandFailure, runCli } from "../cli/runCli";
import { openLocalStack } from "./localStack";

const USAGE = "usage: node --require <loader> infra/tools/engine/previewTiming.ts IMAGE (run by npm run --silent bench:engine)";

async function main(argv: string[]): Promise<void> {
    const { positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError("expected one IMAGE (a digest-pinned reference)");
    const image = positionals[0];
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-timing-"));
    try {
        const stack = await openLocalStack(image, { workDir: path.join(base, "work"), stateDir: path.join(base, "state"), manifestsDir: path.join(base, "manifests") });
        let firstRegistration: number | undefined;
        const previewStart = performance.now();
        await stack
            .preview({
                onEvent: (event) => {
                    const type = event.resourcePreEvent?.metadata.type;
                    if (firstRegistration === undefined && type !== undefined && type !== "pulumi:pulumi:Stack") firstRegistration = performance.now();
                },
            })
            .catch((error: unknown) => {
                // The engine's own output is the evidence: keep it whole (asFailure), not an internal-error line.
                throw asFailure(error);
            });
        if (firstRegistration === undefined) throw new CommandFailure("pulumi preview registered no resource");
        process.stdout.write(`${JSON.stringify({ fromProcessStartMs: Math.round(firstRegistration), fromPreviewStartMs: Math.round(firstRegistration - previewStart) })}\n`);
    } finally {
        fs.rmSync(base, { recursive: true, force: true });
    }
}

runCli(main, USAGE);
