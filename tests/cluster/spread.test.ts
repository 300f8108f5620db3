/**
 * The postgres mode's spread and PodDisruptionBudget, judged by the real scheduler, controller
 * manager and API server on simulated nodes (kwok: six nodes, two in each of three zones).
 *
 * The staging stack (postgres mode) is rendered with six replicas, placed on these nodes only,
 * and server-side applied. The scheduler must put two replicas in each zone and one on each node
 * (the topology spread constraints, ScheduleAnyway). The Eviction API must refuse an eviction
 * while the budget (maxUnavailable 1) is used up: with the nodes cordoned, as a drain does, the
 * first eviction is allowed, its replacement stays Pending, and the second is refused with 429.
 * Once the nodes are uncordoned, the replacement becomes ready and the same eviction is allowed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { parseDocument } from "yaml";

import { renderStack, toYaml } from "../../infra/tools/render/render";
import { projectWith, REPO_ROOT } from "../infra/projectFixture";

const NAMESPACE = "ragstar-spread";
const LABEL = "ragstar.dev/spread-test";
const ZONES = ["zone-a", "zone-b", "zone-c"];
const NODES = ZONES.flatMap((zone) => [0, 1].map((i) => ({ name: `kwok-spread-${zone}-${i}`, zone })));
const REPLICAS = 6;

function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const bin = process.env.KUBE_BIN;
    if (!bin || !process.env.KUBECONFIG) throw new Error("KUBE_BIN and KUBECONFIG are not set: run through scripts/with-cluster (scripts/test does)");
    const result = spawnSync(path.join(bin, "kubectl"), args, { input, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function ok(args: string[], input?: string): string {
    const result = kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
}

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

interface Pod {
    metadata: { name: string; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: { phase: string; conditions?: { type: string; status: string }[] };
}

const pods = (): Pod[] => JSON.parse(ok(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=ragstar", "-o", "json"])).items;
const ready = (pod: Pod) => !pod.metadata.deletionTimestamp && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
const budget = () => JSON.parse(ok(["-n", NAMESPACE, "get", "poddisruptionbudget", "ragstar", "-o", "json"])).status ?? {};

function evict(pod: string): { code: number; stdout: string; stderr: string } {
    const body = JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: NAMESPACE } });
    return kubectl(["create", "--raw", `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/eviction`, "-f", "-"], body);
}

function cordon(on: boolean): void {
    for (const node of NODES) ok([on ? "cordon" : "uncordon", node.name]);
}

beforeAll(async () => {
    const nodes = NODES.map((node) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: node.name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: { "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": node.zone, [LABEL]: "true" },
        },
        spec: { taints: [{ key: "kwok.x-k8s.io/node", value: "fake", effect: "NoSchedule" }] },
        status: { allocatable: { cpu: "32", memory: "256Gi", "ephemeral-storage": "1Ti", pods: "110" }, capacity: { cpu: "32", memory: "256Gi", "ephemeral-storage": "1Ti", pods: "110" } },
    }));
    ok(["apply", "-f", "-"], nodes.map((n) => JSON.stringify(n)).join("\n"));
    for (const node of NODES) await until(`node ${node.name} Ready`, 60, () => (kubectl(["wait", "--for=condition=Ready", `node/${node.name}`, "--timeout=1s"]).code === 0 ? true : undefined));
    // No node-lifecycle controller here, so the not-ready taint a new node starts with is never lifted.
    for (const node of NODES) kubectl(["taint", "node", node.name, "node.kubernetes.io/not-ready:NoSchedule-"]);

    // The committed staging stack (postgres mode), six replicas, on the spread nodes only.
    const document = parseDocument(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8"));
    document.setIn(["config", "ragstar:namespace"], NAMESPACE);
    document.setIn(["config", "ragstar:replicas"], REPLICAS);
    document.setIn(["config", "ragstar:nodeSelector"], { [LABEL]: "true" });
    document.setIn(["config", "ragstar:tolerations"], [{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }]);
    const render = await renderStack("staging", projectWith("staging", document.toString()));
    expect(render.objects.map((o) => o.kind)).toEqual(expect.arrayContaining(["Deployment", "PodDisruptionBudget"]));
    ok(["apply", "--server-side", "--field-manager", "ragstar-spread-test", "-f", "-"], toYaml(render.objects));
}, 300_000);

afterAll(() => {
    kubectl(["delete", "namespace", NAMESPACE, "--wait=false"]);
    kubectl(["delete", "node", ...NODES.map((n) => n.name), "--wait=false"]);
});

test("the scheduler spreads six replicas two per zone and one per node", async () => {
    const running = await until("six ready replicas", 120, () => {
        const all = pods().filter(ready);
        return all.length === REPLICAS ? all : undefined;
    });
    const zoneOf = new Map(NODES.map((n) => [n.name, n.zone]));
    const perZone = ZONES.map((zone) => running.filter((p) => zoneOf.get(p.spec.nodeName ?? "") === zone).length);
    const perNode = NODES.map((n) => running.filter((p) => p.spec.nodeName === n.name).length);
    console.log(`spread: ${REPLICAS} replicas; per zone ${ZONES.map((z, i) => `${z} ${perZone[i]}`).join(", ")}; per node ${perNode.join(" ")}`);
    expect(perZone).toEqual([2, 2, 2]);
    expect(perNode).toEqual([1, 1, 1, 1, 1, 1]);
});

test("the Eviction API refuses an eviction that would break the PodDisruptionBudget, and allows it once the replacement is ready", async () => {
    await until("the budget to allow one disruption", 60, () => (budget().disruptionsAllowed === 1 && budget().currentHealthy === REPLICAS ? true : undefined));
    cordon(true);
    try {
        const [first, second] = pods().filter(ready).map((p) => p.metadata.name);
        const allowed = evict(first);
        expect(allowed.code).toBe(0);
        expect(JSON.parse(allowed.stdout)).toMatchObject({ kind: "Status", status: "Success", code: 201 });
        // The replacement cannot be scheduled on cordoned nodes: the budget stays used up.
        const refused = evict(second);
        console.log(`eviction of ${second} with ${REPLICAS - 1} of ${REPLICAS} ready: ${refused.stderr.trim()}`);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget");
        expect(pods().map((p) => p.metadata.name)).toContain(second);
        expect(budget()).toMatchObject({ disruptionsAllowed: 0 });
        const pending = pods().filter((p) => p.status.phase === "Pending");
        expect(pending).toHaveLength(1);

        cordon(false);
        await until("the replacement ready and the budget back to one", 120, () => (pods().filter(ready).length === REPLICAS && budget().disruptionsAllowed === 1 ? true : undefined));
        const later = evict(second);
        expect(later.code).toBe(0);
        expect(JSON.parse(later.stdout)).toMatchObject({ status: "Success", code: 201 });
    } finally {
        cordon(false);
    }
});
