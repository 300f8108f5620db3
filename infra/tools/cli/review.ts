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
 * a ref that is not a commit or an `--out` whose folder does not exist; 3 no report could be made (a
 * side's render command failed as a whole, e.g. a commit too old for `render --all --out`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { ROOT_DIR } from "../../paths";
import { writeFileAtomic } from "../fsAtomic";
import { RefError } from "../review/reviewTree";
import { runReview } from "../review/runReview";
import { parseCommandLine, UsageError } from "./commandLine";
import { runCli } from "./runCli";

const USAGE = "usage: npm run --silent review -- --base REF [--head REF] [--out FILE]";

/** Exit status when no report could be made (a side's render command failed as a whole, git failed). */
const NO_REPORT = 3;

async function main(argv: string[]): Promise<number> {
    const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { base: { type: "string" }, head: { type: "string" }, out: { type: "string" } } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (values.base === undefined) throw new UsageError("--base REF is required (the branch the change goes into, e.g. --base origin/main)");
    // Checked before the review runs, so a bad --out costs nothing.
    if (values.out !== undefined) {
        const dir = path.dirname(path.resolve(values.out));
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${values.out}: the folder ${dir} does not exist`);
        if (fs.existsSync(values.out) && fs.statSync(values.out).isDirectory()) throw new UsageError(`--out ${values.out}: is a folder; --out names the report's file`);
    }
    let result;
    try {
        result = await runReview({ repo: ROOT_DIR, base: values.base, ...(values.head !== undefined ? { head: values.head } : {}) });
    } catch (error) {
        if (error instanceof RefError) throw new UsageError(error.message);
        process.stderr.write(`error: no report: ${(error as Error).message}\n`);
        return NO_REPORT;
    }
    if (values.out !== undefined) writeFileAtomic(path.resolve(values.out), result.markdown);
    else process.stdout.write(result.markdown);
    return result.status;
}

runCli(main, USAGE);
