/**
 * What a stage has deployed before, for `promote --rollback`: the `ragstar:image.ref` of every
 * committed version of its stack file (`git rev-list HEAD -- Pulumi.<stage>.yaml`, then
 * `git show <commit>:./Pulumi.<stage>.yaml`). A stage deploys what its committed stack file
 * names, so that history is the record; an uncommitted promotion was never deployed.
 */
import { spawnSync } from "node:child_process";

import { parseImageReference } from "../../imageReference";
import { readStackImage } from "./stackFileImage";

/** One earlier ref of the stack file and the (abbreviated) commit that had it, newest first. */
export interface DeployedRef {
    ref: string;
    commit: string;
}

/** History older than this many commits of the stack file is not searched. */
const MAX_VERSIONS = 1000;

function git(root: string, args: string[]): string {
    const result = spawnSync("git", args, { cwd: root, encoding: "utf8", timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    if (result.error) throw new Error((result.error as NodeJS.ErrnoException).code ?? result.error.message);
    if (result.status !== 0) throw new Error((result.stderr || "").trim().split("\n").pop() || `exit status ${result.status}`);
    return result.stdout;
}

/**
 * The refs of the committed versions of `root/<stackFile>`, newest first, duplicates dropped.
 * Versions that do not parse or have no ref are skipped.
 *
 * @param rev the commit whose history is read (default `HEAD`; the review reads a base ref's)
 * @throws Error with git's last line of stderr when the history cannot be read (no git, not a repository)
 */
export function deployedRefs(root: string, stackFile: string, rev = "HEAD"): { refs: DeployedRef[]; versions: number } {
    const commits = git(root, ["rev-list", `--max-count=${MAX_VERSIONS}`, rev, "--", stackFile]).split("\n").filter(Boolean);
    const refs: DeployedRef[] = [];
    for (const commit of commits) {
        let ref: string | undefined;
        try {
            ref = readStackImage(git(root, ["show", `${commit}:./${stackFile}`]), stackFile).ref;
        } catch {
            continue; // a version that does not parse deployed nothing
        }
        if (ref !== undefined && !refs.some((r) => r.ref === ref)) refs.push({ ref, commit: commit.slice(0, 12) });
    }
    return { refs, versions: commits.length };
}

/**
 * The earlier deployment of `ref`: same registry, repository and digest (a tag in either is ignored).
 *
 * @returns the matching entry, or undefined
 */
export function findDeployed(ref: string, history: DeployedRef[]): DeployedRef | undefined {
    const wanted = parseImageReference(ref);
    return history.find((entry) => {
        try {
            const seen = parseImageReference(entry.ref);
            return seen.registry === wanted.registry && seen.repository === wanted.repository && seen.digest === wanted.digest;
        } catch {
            return false;
        }
    });
}
