/**
 * The review with the field's checkers (scripts/with-checkers sets HADOLINT, CHECKOV and KUBE_SCORE):
 * on a real change in a scratch repository, the findings at head that base did not have, and none
 * when nothing changed.
 */
import { scratchRepo, type ScratchRepo } from "../infra/scratchRepo";

jest.setTimeout(600_000);

const checkerEnv = () => {
    const env: NodeJS.ProcessEnv = {};
    for (const name of ["HADOLINT", "CHECKOV", "KUBE_SCORE"]) {
        if (!process.env[name]) throw new Error(`${name} is not set: run these tests through scripts/with-checkers (scripts/test does)`);
        env[name] = process.env[name];
    }
    return env;
};

let repo: ScratchRepo;
beforeAll(() => {
    repo = scratchRepo();
});
afterAll(() => repo?.remove());

/** The report's checker section: the lines after its heading. */
const checkerSection = (report: string) => report.slice(report.indexOf("## Checkers (hadolint, checkov, kube-score)")).split("\n").slice(1).filter(Boolean);

test("no change: the checkers ran on both sides and found nothing new", () => {
    const result = repo.review(["--base", "base", "--head", "base"], checkerEnv());
    expect(result.status).toBe(0);
    const [line] = checkerSection(result.stdout);
    // The committed renders have no unwaived finding (checkers.test.ts), so both counts are 0.
    expect(line).toBe("No finding at head that base did not have (0 at head, 0 at base; waived checks are not findings).");
});

test("an unpinned apt-get and a dropped waiver: hadolint's and kube-score's new findings, each where it is", () => {
    repo.git(["checkout", "-q", "-b", "new-findings", "base"]);
    repo.edit("Dockerfile", "FROM ${PYTHON_IMAGE} AS runtime\n", "FROM ${PYTHON_IMAGE} AS runtime\nRUN apt-get update && apt-get install -y curl\n");
    repo.edit("infra/review/waivers.ts", 'kubeScore.push("container-image-pull-policy");', "");
    repo.commit("an unpinned package, and no pull-policy waiver");
    const result = repo.review(["--base", "base", "--head", "new-findings"], checkerEnv());
    expect(result.stderr).toBe("");
    const section = checkerSection(result.stdout);
    expect(section[0]).toMatch(/^Findings at head that base did not have \(\d+ at head, 0 at base\):$/);
    const findings = section.slice(1);
    // hadolint's rules for apt-get (https://github.com/hadolint/hadolint#rules): pin versions, no recommends, clean the lists.
    for (const rule of ["DL3008", "DL3009", "DL3015"]) expect(findings).toContainEqual(expect.stringMatching(new RegExp(`^- Dockerfile: \`hadolint ${rule} `)));
    // The pull policy is IfNotPresent on purpose; without the waiver kube-score reports it, once per stage.
    for (const [stage, namespace] of [["dev", "ragstar-dev"], ["staging", "ragstar-staging"], ["prod", "ragstar"]]) {
        expect(findings.filter((f) => f === `- ${stage}: \`kube-score [CRITICAL] ragstar/${namespace} apps/v1/Deployment: (ragstar) ImagePullPolicy is not set to Always\``)).toHaveLength(1);
    }
    expect(findings).toHaveLength(6);
});
