/**
 * One review from refs to a report: extract the sides (reviewTree.ts) and render each as soon as it
 * is extracted, both at once; compare (reviewModel.ts), run the checkers on both when they are
 * installed (checkerFindings.ts), and print (report.ts). Every temporary folder it makes is
 * removed, whatever happens.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { Checkers } from "./checkerFindings";
import { commitSubject, extractCommit, removeTree, renderTree, resolveCommit, stacksOf, type TreeRender } from "./reviewTree";

/** What to review. */
export interface ReviewRequest {
    /** The repository (the project root). */
    repo: string;
    base: string;
    /** A ref, or undefined for the working tree. */
    head?: string;
    /** Default: from HADOLINT, CHECKOV and KUBE_SCORE. */
    checkers?: Checkers;
}

/** The report and the exit status it calls for (0 nothing less safe, 1 less safe). */
export interface ReviewResult {
    markdown: string;
    status: 0 | 1;
}

/**
 * Review `head` against `base`.
 *
 * @throws RefError when a ref is not a commit (the command's bad usage)
 * @throws Error when a side cannot be extracted or its render command fails as a whole
 */
export async function runReview(request: ReviewRequest): Promise<ReviewResult> {
    const { repo } = request;
    const baseCommit = resolveCommit(repo, request.base, "--base");
    const headCommit = request.head === undefined ? undefined : resolveCommit(repo, request.head, "--head");
    const made: string[] = [];
    const abort = new AbortController();
    let renders: Promise<unknown> = Promise.resolve();
    // Interrupted (Ctrl-C, a CI job cancelled): stop the renders, and once they are gone remove what
    // this review made, then end as the signal asks.
    const onSignal = (signal: NodeJS.Signals) => {
        abort.abort();
        void renders.catch(() => undefined).finally(() => {
            for (const dir of made) removeTree(dir);
            process.kill(process.pid, signal);
        });
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const outs = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-review-out-"));
        made.push(outs);
        const [baseOut, headOut] = [path.join(outs, "base"), path.join(outs, "head")];
        const side = async (commit: string | undefined, out: string, name: string): Promise<{ root: string; render: TreeRender }> => {
            try {
                let root = repo;
                if (commit !== undefined) {
                    root = await extractCommit(repo, commit);
                    made.push(root);
                }
                if (abort.signal.aborted) throw new Error("interrupted");
                return { root, render: await renderTree(root, out, abort.signal) };
            } catch (error) {
                throw new Error(`${name}: ${(error as Error).message}`);
            }
        };
        // Settled, not raced: a failing side must not leave the other writing folders after the cleanup.
        const settled = Promise.allSettled([side(baseCommit, baseOut, `base ${request.base}`), side(headCommit, headOut, `head ${request.head ?? "(working tree)"}`)]).then((results) =>
            results.map((r) => {
                if (r.status === "rejected") throw r.reason;
                return r.value;
            }),
        );
        renders = settled;
        // The comparison's modules load while the children render (they need none of it).
        const [{ deployedRefs }, { checkerFindings, checkersFromEnv, newFindings }, { renderReport }, { reviewRenders, reviewStatus }] = await Promise.all([
            import("../promotion/history"),
            import("./checkerFindings"),
            import("./report"),
            import("./reviewModel"),
        ]);
        const [base, head] = await settled;
        const history = (stage: string) => {
            try {
                return deployedRefs(repo, `Pulumi.${stage}.yaml`, baseCommit).refs;
            } catch {
                return [];
            }
        };
        const review = reviewRenders(base.render, head.render, history);

        const checkers = request.checkers ?? checkersFromEnv();
        let section: import("./report").CheckerSection;
        if ("missing" in checkers) {
            section = { ran: false, why: `${checkers.missing.join(", ")} not set; run the review through \`bash scripts/with-checkers\` to add hadolint's, checkov's and kube-score's new findings.` };
        } else {
            const [before, after] = await Promise.all([checkerFindings(checkers, base.root, baseOut, stacksOf(base.root)), checkerFindings(checkers, head.root, headOut, stacksOf(head.root))]);
            const count = (m: Map<string, string[]>) => [...m.values()].reduce((n, f) => n + f.length, 0);
            section = { ran: true, newFindings: newFindings(before, after), headCount: count(after), baseCount: count(before) };
        }
        const sides = {
            base: { ref: request.base, commit: baseCommit, subject: commitSubject(repo, baseCommit) },
            head: headCommit === undefined ? { ref: "working tree" } : { ref: request.head as string, commit: headCommit, subject: commitSubject(repo, headCommit) },
        };
        return { markdown: renderReport(review, sides, section), status: reviewStatus(review) };
    } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
        for (const dir of made) removeTree(dir);
    }
}
