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

import { openLocalStack } from "./localStack";

async function main(): Promise<void> {
    const image = process.argv[2];
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-timing-"));
    try {
        const stack = await openLocalStack(image, { workDir: path.join(base, "work"), stateDir: path.join(base, "state"), manifestsDir: path.join(base, "manifests") });
        let firstRegistration: number | undefined;
        const previewStart = performance.now();
        await stack.preview({
            onEvent: (event) => {
                const type = event.resourcePreEvent?.metadata.type;
                if (firstRegistration === undefined && type !== undefined && type !== "pulumi:pulumi:Stack") firstRegistration = performance.now();
            },
        });
        if (firstRegistration === undefined) throw new Error("no resource was registered");
        process.stdout.write(`${JSON.stringify({ fromProcessStartMs: Math.round(firstRegistration), fromPreviewStartMs: Math.round(firstRegistration - previewStart) })}\n`);
    } finally {
        fs.rmSync(base, { recursive: true, force: true });
    }
}

main().catch((error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
});
