/**
 * `npm run --silent bench:engine [-- --runs N]`
 *
 * Program start-up under the real engine: the time from a fresh process's start, and from
 * the `pulumi preview` call, to the first resource the program registers; median of N runs
 * (default 5) for each TypeScript path:
 *   type_check       ts-node with type checking (Pulumi's default TypeScript path)
 *   transpile_only   ts-node transpile-only (this package's path: Pulumi.yaml's
 *                    tsconfig.pulumi.json sets noCheck; the tests type-check instead)
 * Prints one JSON object. Needs scripts/with-pulumi (PULUMI_ROOT, PULUMI_HOME).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

import { ROOT_DIR } from "../../paths";
import { parseCommandLine, positiveInteger } from "./commandLine";
import { CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent bench:engine [-- --runs N]";

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
};

function measure(loader: string, image: string): { fromProcessStartMs: number; fromPreviewStartMs: number } {
    const result = spawnSync(process.execPath, ["--require", loader, path.join(ROOT_DIR, "infra/tools/engine/previewTiming.ts"), image], { cwd: ROOT_DIR, encoding: "utf8", timeout: 300_000 });
    if (result.status !== 0) throw new CommandFailure(`preview timing with ${loader} failed: ${result.stderr.slice(-2000)}`);
    return JSON.parse(result.stdout.trim().split("\n").pop() as string);
}

function main(argv: string[]): void {
    const runs = positiveInteger("--runs", parseCommandLine({ args: argv, options: { runs: { type: "string", default: "5" } } }).values.runs);
    // Preview never pulls the image, so any digest-pinned reference will do.
    const image = `127.0.0.1:5000/ragstar@sha256:${"0".repeat(64)}`;
    const paths: Record<string, string> = { type_check: "ts-node/register", transpile_only: "ts-node/register/transpile-only" };
    const result: Record<string, unknown> = { runs };
    for (const [name, loader] of Object.entries(paths)) {
        const samples = Array.from({ length: runs }, (_, i) => {
            const sample = measure(loader, image);
            process.stderr.write(`[bench] ${name} ${i + 1}/${runs}: ${sample.fromProcessStartMs} ms from process start, ${sample.fromPreviewStartMs} ms from preview start\n`);
            return sample;
        });
        result[name] = { from_process_start_ms: median(samples.map((s) => s.fromProcessStartMs)), from_preview_start_ms: median(samples.map((s) => s.fromPreviewStartMs)) };
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

runCli(main, USAGE);
