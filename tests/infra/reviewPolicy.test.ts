import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";
import { reviewWaivers } from "../../infra/review/waivers";
import { checkersFromEnv, newFindings } from "../../infra/tools/review/checkerFindings";
import { dockerfileWaivers, healthcheckLines } from "../../infra/tools/review/dockerfileFacts";
import { classifyImage, type ImageContext } from "../../infra/tools/review/imageChange";
import { newWaivers, policyVerdict, waiversOf } from "../../infra/tools/review/policyDiff";

const deploymentWith = (annotations: Record<string, string>, containerExtra: Record<string, unknown> = {}): KubernetesObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "ragstar", namespace: "ns", annotations },
    spec: { template: { spec: { containers: [{ name: "ragstar", image: `r.example/x@sha256:${"a".repeat(64)}`, ...containerExtra }] } } },
});

describe("waivers", () => {
    test("every waiver the package writes is read back with its reason, including a reason holding '; '", () => {
        const annotations = reviewWaivers({ runAsUser: 1000, storage: { accessMode: "ReadWriteOncePod" } as never, database: "postgres" });
        const waivers = waiversOf([deploymentWith(annotations)], "");
        expect(waivers.map((w) => `${w.checker} ${w.check}`)).toEqual([
            "kube-score container-image-pull-policy",
            "kube-score deployment-has-host-podantiaffinity",
            "kube-score container-security-context-user-group-id",
            "checkov CKV_K8S_40",
        ]);
        expect(waivers[1].reason).toBe("the replicas spread over nodes and zones with topologySpreadConstraints (maxSkew 1, ScheduleAnyway), which kube-score does not read; a podAntiAffinity beside them would say the same twice");
        expect(waivers[3].reason).toBe("runAsUser 1000 is the image's numeric USER; set ragstar:runAsUser to 10000 or more to clear this check");
        expect(waivers.every((w) => w.where === "Deployment ns/ragstar")).toBe(true);
    });

    test("Dockerfile comments: checkov:skip with its reason, hadolint ignore lists", () => {
        const text = "# checkov:skip=CKV_DOCKER_7: the tag comes from ARG\n# hadolint ignore=DL3008, DL3009\nFROM x\n# hadolint global ignore=DL3006\n";
        expect(dockerfileWaivers(text)).toEqual([
            { checker: "checkov", check: "CKV_DOCKER_7", reason: "the tag comes from ARG" },
            { checker: "hadolint", check: "DL3008" },
            { checker: "hadolint", check: "DL3009" },
            { checker: "hadolint", check: "DL3006" },
        ]);
    });

    test("new waivers are those at head that base did not have in the same place", () => {
        const base = waiversOf([deploymentWith({ "kube-score/ignore": "a" })], "");
        const head = waiversOf([deploymentWith({ "kube-score/ignore": "a,b" })], "# hadolint ignore=DL3008\n");
        expect(newWaivers(base, head).map((w) => `${w.checker} ${w.check} ${w.where}`)).toEqual(["hadolint DL3008 Dockerfile", "kube-score b Deployment ns/ragstar"]);
    });
});

describe("policyVerdict", () => {
    test("head's violations split into new and already at base; base's gone ones are resolved", () => {
        const base = [deploymentWith({}, { image: "r.example/x:latest" })];
        const head = [deploymentWith({})];
        const verdict = policyVerdict(base, head);
        expect(verdict.resolved.map((v) => v.rule)).toContain("image-pinned-by-digest");
        expect(verdict.newViolations).toEqual([]);
        expect(verdict.existingViolations.map((v) => v.rule)).toContain("probes-present");
        const reverse = policyVerdict(head, base);
        expect(reverse.newViolations.map((v) => [v.rule, v.enforcement])).toEqual([["image-pinned-by-digest", "mandatory"]]);
    });
});

describe("classifyImage", () => {
    const ref = (hex: string) => `registry.example.com/platform/ragstar@sha256:${hex.repeat(64)}`;
    const context = (over: Partial<ImageContext> = {}): ImageContext => ({
        stage: "prod",
        placeholder: false,
        otherStages: new Map([
            ["dev", { base: [ref("d")], head: [ref("d")], placeholder: true }],
            ["staging", { base: [ref("b")], head: [ref("c")], placeholder: false }],
        ]),
        history: [{ ref: ref("e"), commit: "abc123" }],
        ...over,
    });

    test("a promotion from the stage before, at head or at base", () => {
        expect(classifyImage(ref("c"), context())).toEqual({ kind: "promotion from staging (the digest staging runs at head)", unvouched: false });
        expect(classifyImage(ref("b"), context()).kind).toBe("promotion from staging (the digest staging ran at base)");
        // Another registry, same digest: still the promotion (a cross-registry copy keeps the digest).
        expect(classifyImage(`other.example/ragstar@sha256:${"c".repeat(64)}`, context()).kind).toMatch(/^promotion from staging/);
    });

    test("a rollback, a skipped stage, a stage after a building one, and an unvouched digest", () => {
        expect(classifyImage(ref("e"), context())).toEqual({ kind: "rollback to a digest this stage deployed before (its stack file at commit abc123)", unvouched: false });
        const devNotBuilding = context({ otherStages: new Map([["dev", { base: [], head: [ref("d")], placeholder: false }], ["staging", { base: [], head: [], placeholder: false }]]) });
        expect(classifyImage(ref("d"), devNotBuilding)).toEqual({ kind: "promotion from dev, skipping staging (the digest dev runs at head)", unvouched: true });
        expect(classifyImage(ref("f"), context({ stage: "staging", otherStages: new Map([["dev", { base: [], head: [], placeholder: true }]]) })).kind).toMatch(/^a new digest: dev builds its image/);
        expect(classifyImage(ref("f"), context()).unvouched).toBe(true);
        expect(classifyImage(ref("f"), context({ placeholder: true })).kind).toMatch(/^a render placeholder/);
    });
});

describe("the rest", () => {
    test("HEALTHCHECK lines with their continuation", () => {
        expect(healthcheckLines("FROM x\nHEALTHCHECK --interval=5s \\\n  CMD true\nCMD [\"a\"]\n")).toEqual([{ line: 2, text: "HEALTHCHECK --interval=5s \\\n  CMD true" }]);
    });

    test("checker findings are new as a multiset: one more of the same is new", () => {
        const base = new Map([["prod", ["kube-score a", "kube-score b"]]]);
        const head = new Map([["prod", ["kube-score a", "kube-score a", "kube-score b"]], ["Dockerfile", ["hadolint DL3008 warning: x"]]]);
        expect([...newFindings(base, head)]).toEqual([["prod", ["kube-score a"]], ["Dockerfile", ["hadolint DL3008 warning: x"]]]);
    });

    test("the checkers come from the environment, or the report says which variables are missing", () => {
        expect(checkersFromEnv({ HADOLINT: "/h" })).toEqual({ missing: ["CHECKOV", "KUBE_SCORE"] });
        expect(checkersFromEnv({ HADOLINT: "/h", CHECKOV: "/c", KUBE_SCORE: "/k" })).toEqual({ hadolint: "/h", checkov: "/c", kubeScore: "/k" });
    });
});
