import { podSpecOf } from "../../infra/k8s/podContainers";
import { evaluatePolicy, RULES, type Rule } from "../../infra/review/rules";
import { renderStack, type Render } from "../../infra/tools/render/render";

let dev: Render;
let prod: Render;
beforeAll(async () => {
    dev = await renderStack("dev");
    prod = await renderStack("prod");
});

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const deployment = () => clone(dev.objects.find((o) => o.kind === "Deployment")!) as any;
const configMap = () => clone(dev.objects.find((o) => o.kind === "ConfigMap")!) as any;
/** prod runs the postgres mode: an autoscaled RollingUpdate Deployment and a PodDisruptionBudget. */
const replicated = () => clone(prod.objects.find((o) => o.kind === "Deployment")!) as any;
const budget = () => clone(prod.objects.find((o) => o.kind === "PodDisruptionBudget")!) as any;
const rule = (name: string): Rule => {
    const found = RULES.find((r) => r.name === name);
    if (!found) throw new Error(`no rule ${name}`);
    return found;
};

test("every rendered stack passes every mandatory rule", async () => {
    for (const stack of ["dev", "staging", "prod"]) {
        const violations = evaluatePolicy((await renderStack(stack)).objects);
        expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
        // The one advisory finding is the documented UID choice (docs/review.md).
        expect(violations.map((v) => v.rule)).toEqual(["high-uid"]);
    }
});

/** For each rule: a broken copy of a rendered object that it must flag; the unbroken one passes. */
const CASES: [string, () => any, (o: any) => void, string][] = [
    ["pod-security-restricted", deployment, (o) => (podSpecOf(o)!.containers[0].securityContext.allowPrivilegeEscalation = true), "Privilege Escalation"],
    ["pod-security-restricted", deployment, (o) => delete podSpecOf(o)!.securityContext.seccompProfile, "Seccomp"],
    ["pod-security-restricted", deployment, (o) => (podSpecOf(o)!.hostNetwork = true), "Host Namespaces"],
    ["image-pinned-by-digest", deployment, (o) => (podSpecOf(o)!.containers[0].image = "registry.example.com/platform/ragstar:1.0"), 'image "registry.example.com/platform/ragstar:1.0" is not pinned by digest'],
    ["probes-present", deployment, (o) => delete podSpecOf(o)!.containers[0].readinessProbe, "container ragstar: no readinessProbe"],
    ["probes-present", deployment, (o) => delete podSpecOf(o)!.containers[0].livenessProbe, "container ragstar: no livenessProbe"],
    ["probes-present", deployment, (o) => (podSpecOf(o)!.containers[0].livenessProbe = { periodSeconds: 10 }), "container ragstar: no livenessProbe (with httpGet"],
    ["image-pinned-by-digest", deployment, (o) => (podSpecOf(o)!.ephemeralContainers = [{ name: "debug", image: "busybox" }]), 'container debug: image "busybox" is not pinned by digest'],
    ["resources-requests-and-memory-limit", deployment, (o) => delete podSpecOf(o)!.containers[0].resources.limits.memory, "container ragstar: no memory limit"],
    ["resources-requests-and-memory-limit", deployment, (o) => delete podSpecOf(o)!.containers[0].resources.requests.cpu, "container ragstar: no cpu request"],
    ["no-secret-looking-configmap-keys", configMap, (o) => (o.data.api_token = "x"), "data key api_token looks like a secret"],
    ["no-secret-looking-configmap-keys", configMap, (o) => (o.data["ragstar.yaml"] += "github_token: abc\n"), "data ragstar.yaml: key github_token looks like a secret"],
    ["no-default-namespace", deployment, (o) => (o.metadata.namespace = "default"), "Deployment is in the default namespace"],
    ["no-default-namespace", configMap, (o) => delete o.metadata.namespace, "ConfigMap is in the default namespace"],
    ["read-only-root-filesystem", deployment, (o) => (podSpecOf(o)!.containers[0].securityContext.readOnlyRootFilesystem = false), "root filesystem is writable"],
    ["cpu-limit", deployment, (o) => delete podSpecOf(o)!.containers[0].resources.limits.cpu, "container ragstar: no cpu limit"],
    ["no-service-account-token", deployment, (o) => delete podSpecOf(o)!.automountServiceAccountToken, "mounts a service-account token"],
    ["several-replicas-roll", replicated, (o) => (o.spec.strategy = { type: "Recreate" }), "strategy Recreate stops every replica at once"],
    ["several-replicas-roll", deployment, (o) => (o.spec.replicas = 2), "strategy Recreate stops every replica at once"],
    ["rolling-update-keeps-capacity", replicated, (o) => delete o.spec.strategy.rollingUpdate, 'rollingUpdate.maxUnavailable is "25% (the default)", not 0'],
    ["rolling-update-keeps-capacity", replicated, (o) => (o.spec.strategy.rollingUpdate.maxUnavailable = 1), "rollingUpdate.maxUnavailable is 1, not 0"],
    ["disruption-budget-allows-drain", budget, (o) => (o.spec.maxUnavailable = 0), "the budget allows no eviction"],
    ["disruption-budget-allows-drain", budget, (o) => { delete o.spec.maxUnavailable; o.spec.minAvailable = "100%"; }, "the budget allows no eviction"],
    ["replicas-spread-over-nodes", replicated, (o) => delete podSpecOf(o)!.topologySpreadConstraints, "no topology spread or podAntiAffinity over kubernetes.io/hostname"],
];

test.each(CASES)("%s flags a broken object and passes the rendered one", (name, make, breakIt, message) => {
    const object = make();
    expect(rule(name).check(object)).toEqual([]);
    breakIt(object);
    expect(rule(name).check(object)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
});

test("high-uid passes at 10001 and flags 1000", () => {
    const object = deployment();
    expect(rule("high-uid").check(object)).toEqual(["container ragstar: runAsUser 1000 is below 10000"]);
    podSpecOf(object)!.securityContext.runAsUser = 10001;
    podSpecOf(object)!.containers[0].securityContext.runAsUser = 10001;
    expect(rule("high-uid").check(object)).toEqual([]);
});

test("a preferred podAntiAffinity over the hostname counts as spread; one over the zone alone does not", () => {
    const object = replicated();
    const spec = podSpecOf(object)!;
    delete spec.topologySpreadConstraints;
    const term = (topologyKey: string) => ({ weight: 100, podAffinityTerm: { topologyKey, labelSelector: { matchLabels: { "app.kubernetes.io/name": "ragstar" } } } });
    spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term("topology.kubernetes.io/zone")] } };
    expect(rule("replicas-spread-over-nodes").check(object)).toHaveLength(1);
    spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.push(term("kubernetes.io/hostname"));
    expect(rule("replicas-spread-over-nodes").check(object)).toEqual([]);
});

test("the replica rules pass the sqlite mode's one replica with Recreate", () => {
    const object = deployment();
    expect(object.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    for (const name of ["several-replicas-roll", "rolling-update-keeps-capacity", "replicas-spread-over-nodes"]) expect(rule(name).check(object)).toEqual([]);
});

test("every rule has a failing case here", () => {
    const covered = new Set([...CASES.map(([name]) => name), "high-uid"]);
    expect(RULES.map((r) => r.name).filter((n) => !covered.has(n))).toEqual([]);
});

test("workloads other than Deployments are checked through their pod template", () => {
    const cronJob = { kind: "CronJob", metadata: { name: "c", namespace: "n" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:latest" }] } } } } } };
    const names = evaluatePolicy([cronJob]).map((v) => v.rule);
    expect(names).toEqual(expect.arrayContaining(["pod-security-restricted", "image-pinned-by-digest", "probes-present", "resources-requests-and-memory-limit"]));
});
