/**
 * `npm run --silent bench:review [-- --base REF --head REF --runs N]`
 *
 * The time a reviewer waits for `npm run --silent review` of one commit across every stack: the
 * whole command as users run it (a fresh process: start-up, both sides extracted and rendered, the
 * report), `--base HEAD~1 --head HEAD` by default, without the checkers (their time is theirs:
 * HADOLINT, CHECKOV and KUBE_SCORE are removed from its environment). Beside it, in the same run,
 * one side's `render --all` alone, for what the comparison adds. The first run of each is not
 * counted (a cold file cache); medians of N runs (default 5), one JSON object on stdout, seconds:
 *   review_s          median wall time of the review command
 *   review_min_s      fastest run
 *   review_max_s      slowest run
 *   render_all_s      median wall time of `render --all` of the working tree
 *   stacks            stacks reviewed
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

import { ROOT_DIR } from "../../paths";
import { median } from "../node/rolloutStats";
import { stacksOf } from "../review/reviewTree";
import { parseCommandLine, positiveInteger } from "./commandLine";
import { CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent bench:review [-- --base REF --head REF --runs N]";
const round = (seconds: number) => Math.round(seconds * 100) / 100;

/** Wall time of one command, in seconds. */
function timed(args: string[], env: NodeJS.ProcessEnv): number {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--swc", ...args], { cwd: ROOT_DIR, env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // 1 is a verdict (less safe), not a failure of the command.
    if (result.status !== 0 && result.status !== 1) throw new CommandFailure(`${path.basename(args[0])} exited ${result.status}: ${(result.stderr ?? "").trim().split("\n").pop() ?? ""}`);
    return seconds;
}

function main(argv: string[]): void {
    const { values } = parseCommandLine({ args: argv, options: { base: { type: "string", default: "HEAD~1" }, head: { type: "string", default: "HEAD" }, runs: { type: "string", default: "5" } } });
    const runs = positiveInteger("--runs", values.runs);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["HADOLINT", "CHECKOV", "KUBE_SCORE"].includes(k)));
    const review = [path.join(ROOT_DIR, "infra/tools/cli/review.ts"), "--base", values.base, "--head", values.head];
    const render = [path.join(ROOT_DIR, "infra/tools/cli/render.ts"), "--all"];
    const samples = { review: [] as number[], render: [] as number[] };
    for (let run = 0; run <= runs; run++) {
        // Alternated, so both see the same machine state; run 0 warms the file cache and is dropped.
        const r = timed(review, env);
        const a = timed(render, env);
        process.stderr.write(`[bench] run ${run}${run === 0 ? " (not counted)" : ""}: review ${round(r)} s, render --all ${round(a)} s\n`);
        if (run > 0) {
            samples.review.push(r);
            samples.render.push(a);
        }
    }
    process.stdout.write(
        `${JSON.stringify({ runs, base: values.base, head: values.head, review_s: round(median(samples.review)), review_min_s: round(Math.min(...samples.review)), review_max_s: round(Math.max(...samples.review)), render_all_s: round(median(samples.render)), stacks: stacksOf(ROOT_DIR).length })}\n`,
    );
}

runCli(main, USAGE);
