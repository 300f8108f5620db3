import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { Stack } from "@pulumi/pulumi/automation";

import { openLocalStack, type LocalPaths } from "../../infra/tools/engine/localStack";

function kubectl(args: string[], input?: string): string {
    const result = spawnSync(path.join(process.env.KUBE_BIN ?? "", "kubectl"), args, { input, encoding: "utf8", timeout: 120_000 });
    if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-cluster-"));
const paths: LocalPaths = { workDir: path.join(base, "work"), stateDir: path.join(base, "state"), manifestsDir: path.join(base, "unused") };
// kwok never pulls images, so any digest-pinned reference will do.
const image = `registry.example.com/platform/ragstar@sha256:${"c3".repeat(32)}`;
let stack: Stack;
// Not the main job's namespace, so the test can run beside a control plane scripts/main left running.
const NAMESPACE = "ragstar-cluster-test";
// Pull credentials set explicitly (not from REGISTRY_* of the environment), so the managed pull Secret
// ragstar-registry is always among the objects the API server receives; kwok never pulls with it.
// The pod must land on the kwok node, which carries kwok's own taint kwok.x-k8s.io/node=fake:NoSchedule
// and the label type=kwok beside a real node: set with path semantics (openLocalStack's setAllConfig),
// so the stack file holds a mapping and a list, as a user's `pulumi config set --path` would write them.
const BASE_CONFIG = {
    "ragstar:namespace": { value: NAMESPACE },
    "ragstar:image.username": { value: "ragstar-cluster-test" },
    "ragstar:registryPassword": { value: crypto.randomBytes(12).toString("base64url"), secret: true },
    "ragstar:nodeSelector.type": { value: "kwok" },
    "ragstar:tolerations[0].key": { value: "kwok.x-k8s.io/node" },
    "ragstar:tolerations[0].operator": { value: "Exists" },
    "ragstar:tolerations[0].effect": { value: "NoSchedule" },
};

beforeAll(async () => {
    if (!process.env.KUBECONFIG || !process.env.PULUMI_ROOT) throw new Error("run through scripts/with-cluster and scripts/with-pulumi (scripts/test does)");
    // A volume reserved for this test's claim (claimRef), so it binds even when the control plane's
    // own volume is taken, e.g. by a main job left running.
    kubectl(["apply", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "ragstar-cluster-test-data" },
        spec: {
            capacity: { storage: "20Gi" }, accessModes: ["ReadWriteOnce"], storageClassName: "", persistentVolumeReclaimPolicy: "Retain",
            claimRef: { namespace: NAMESPACE, name: "ragstar-data" }, hostPath: { path: "/var/tmp/ragstar-cluster-test-data" },
        },
    }));
    stack = await openLocalStack(image, paths, BASE_CONFIG, "cluster");
});

afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    try {
        kubectl(["delete", "persistentvolume", "ragstar-cluster-test-data", "--wait=false"]);
    } catch {
        // already gone
    }
    fs.rmSync(base, { recursive: true, force: true });
});

test("pulumi up against the API server completes and the Deployment becomes Available under kwok", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const deployment = JSON.parse(kubectl(["-n", NAMESPACE, "get", "deployment", "ragstar", "-o", "json"]));
    expect(deployment.status.availableReplicas).toBe(1);
    expect(deployment.status.conditions.find((c: { type: string }) => c.type === "Available").status).toBe("True");
    const pods = JSON.parse(kubectl(["-n", NAMESPACE, "get", "pods", "-o", "json"])).items;
    expect(pods.map((p: any) => p.spec.nodeName)).toEqual(["kwok-node-0"]);
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ type: "kwok" });
    expect(deployment.spec.template.spec.tolerations).toEqual([{ key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }]);
    expect(kubectl(["-n", NAMESPACE, "get", "pvc", "ragstar-data", "-o", "jsonpath={.status.phase}"])).toBe("Bound");
    expect(kubectl(["-n", NAMESPACE, "get", "pvc", "ragstar-data", "-o", "jsonpath={.spec.volumeName}"])).toBe("ragstar-cluster-test-data");
});

test("a second preview shows no changes", async () => {
    const preview = await stack.preview({ expectNoChanges: true });
    // 11: the Stack, the component and its 9 objects, the pull Secret ragstar-registry among them
    // (the default Kubernetes provider is not counted).
    expect(preview.changeSummary).toEqual({ same: 11 });
});

test("a change to the service's config rolls the Deployment", async () => {
    const before = JSON.parse(kubectl(["-n", NAMESPACE, "get", "deployment", "ragstar", "-o", "json"]));
    const changed = await openLocalStack(image, paths, { ...BASE_CONFIG, "ragstar:app.log_level": { value: "warning" } }, "cluster");
    const up = await changed.up();
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1, update: 1 });
    const after = JSON.parse(kubectl(["-n", NAMESPACE, "get", "deployment", "ragstar", "-o", "json"]));
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(after.spec.template.spec.volumes[0].configMap.name).not.toBe(before.spec.template.spec.volumes[0].configMap.name);
    expect(after.status.availableReplicas).toBe(1);
    const replicaSets = JSON.parse(kubectl(["-n", NAMESPACE, "get", "replicasets", "-o", "json"])).items;
    expect(replicaSets).toHaveLength(2);
    stack = changed;
});
