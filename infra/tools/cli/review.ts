/**
 * `npm run --silent review -- --base REF [--head REF] [--out FILE]`
 *
 * What a change does to each stage, as one Markdown report on stdout (or written atomically to
 * `--out FILE`): per stage the objects added, removed and changed with field-level diffs, the
 * securityContext weakenings first with the rule each breaks, the image (a promotion or rollback
 * named as such), the derived probes and the HEALTHCHECK behind them, the policy verdict at head
 * (new against existing, new waivers), and the checkers' new findings when HADOLINT, CHECKOV and
 * KUBE_SCORE are set (scripts/with-checkers). Each side renders from its own files: `--base` (and
 * `--head`) from `git archive` of the commit in a temporary folder, the working tree as it is when
 * `--head` is left out. docs/review.md explains the report.
 * Exit status: 0 nothing got less safe; 1 a securityContext field weakened, a mandatory policy rule
 * fails at head, or a stage does not render at head (the report says which); 2 bad usage, including
 * a ref that is not a commit.
 */
import * as path from "node:path";

import { ROOT_DIR } from "../../paths";
import { writeFileAtomic } from "../fsAtomic";
import { RefError } from "../review/reviewTree";
import { runReview } from "../review/runReview";
import { parseCommandLine, UsageError } from "./commandLine";
import { CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent review -- --base REF [--head REF] [--out FILE]";

async function main(argv: string[]): Promise<number> {
    const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { base: { type: "string" }, head: { type: "string" }, out: { type: "string" } } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (values.base === undefined || values.base === "") throw new UsageError("--base REF is required (the branch the change goes into, e.g. --base origin/main)");
    let result;
    try {
        result = await runReview({ repo: ROOT_DIR, base: values.base, ...(values.head ? { head: values.head } : {}) });
    } catch (error) {
        if (error instanceof RefError) throw new UsageError(`--${values.head !== undefined && error.message.startsWith(`${values.head}:`) ? "head" : "base"} ${error.message}`);
        throw new CommandFailure((error as Error).message);
    }
    if (values.out !== undefined) writeFileAtomic(path.resolve(values.out), result.markdown);
    else process.stdout.write(result.markdown);
    return result.status;
}

runCli(main, USAGE);
