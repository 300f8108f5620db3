/**
 * The real node as the tests and bench:rollout use it: kubectl, the node's facts (exported by scripts/lib/node.sh,
 * node_exports), the project image pushed to the authenticated registry, a data volume reserved
 * for a namespace, and a local stack deployed to that namespace through the real Pulumi engine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { ConfigMap, Stack } from "@pulumi/pulumi/automation";

import { buildAndPushImage } from "../docker/docker";
import { localBuildArgs, localImageBuildArgs, openLocalStack, type LocalPaths } from "../engine/localStack";
import { ROOT_DIR } from "../../paths";

/**
 * The node of scripts/lib/node.sh: its name; `ip`, its InternalIP (the node end of the link to its
 * network namespace); `hostIp`, the host's address on that link, where pods reach servers the host
 * runs; `netns`, the file of the node's network namespace (kube-proxy's and the NetworkPolicy
 * engine's iptables rules are there); the containerd socket; the state folder.
 */
export interface NodeFacts {
    name: string;
    ip: string;
    hostIp: string;
    netns: string;
    containerd: string;
    dir: string;
}

/** @throws Error when not run through scripts/with-cluster (which starts the node and exports these). */
export function nodeFacts(): NodeFacts {
    const { RAGSTAR_NODE_NAME: name, RAGSTAR_NODE_IP: ip, RAGSTAR_NODE_HOST_IP: hostIp, RAGSTAR_NODE_NETNS: netns, RAGSTAR_NODE_CONTAINERD: containerd, RAGSTAR_NODE_DIR: dir } = process.env;
    if (!name || !ip || !hostIp || !netns || !containerd || !dir || !process.env.KUBECONFIG || !process.env.PULUMI_ROOT) {
        throw new Error("the node is not set up: run through scripts/with-image-infra, scripts/with-cluster and scripts/with-pulumi (scripts/test does)");
    }
    return { name, ip, hostIp, netns, containerd, dir };
}

/** Run kubectl (KUBE_BIN) and return stdout. @throws Error with stderr when it fails. */
export function kubectl(args: string[], input?: string, timeoutMs = 120_000): string {
    const result = spawnSync(path.join(process.env.KUBE_BIN ?? "", "kubectl"), args, { input, encoding: "utf8", timeout: timeoutMs });
    if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr || result.error}`);
    return result.stdout;
}

/** kubectl ... -o json, parsed. */
export function kubectlJson<T = any>(args: string[]): T {
    return JSON.parse(kubectl([...args, "-o", "json"])) as T;
}

/** Run `ctr` against the node's containerd, namespace k8s.io. */
export function ctr(args: string[]): string {
    const result = spawnSync("ctr", ["--address", nodeFacts().containerd, "-n", "k8s.io", ...args], { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`ctr ${args.join(" ")} failed: ${result.stderr}`);
    return result.stdout;
}

/**
 * The project's runtime image, built with the local stack's build arguments and pushed to the
 * registry of scripts/with-image-infra under `tag`; returns the digest-pinned reference.
 */
export function pushedImage(tag = "node-test"): string {
    const { REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD } = process.env;
    if (!REGISTRY || !REGISTRY_USERNAME || !REGISTRY_PASSWORD) throw new Error("REGISTRY is not set: run through scripts/with-image-infra");
    return buildAndPushImage(ROOT_DIR, { registry: REGISTRY, username: REGISTRY_USERNAME, password: REGISTRY_PASSWORD }, "ragstar", tag, localImageBuildArgs()).reference;
}

/**
 * A `local` PV on the node reserved (claimRef) for the claim `ragstar-data` of `namespace`, in a
 * fresh folder under the node's state folder; returns its name and host path.
 */
export function reserveVolume(namespace: string): { name: string; hostPath: string } {
    const node = nodeFacts();
    const name = `${namespace}-data`;
    const hostPath = path.join(node.dir, "volumes", name);
    fs.mkdirSync(hostPath, { recursive: true });
    kubectl(["apply", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "PersistentVolume", metadata: { name },
        spec: {
            capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], storageClassName: "", persistentVolumeReclaimPolicy: "Retain",
            claimRef: { namespace, name: "ragstar-data" }, local: { path: hostPath },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node.name] }] }] } },
        },
    }));
    return { name, hostPath };
}

/** A local stack of its own (state and workspace in a temporary folder) deploying `image` to `namespace`. */
export interface TestStack {
    stack: Stack;
    namespace: string;
    /** Reopen with more config (keeps the same state). */
    reconfigure(overrides: ConfigMap): Promise<Stack>;
    /** Destroy the stack, delete the volume and the temporary folder. */
    dispose(): Promise<void>;
}

export async function openTestStack(namespace: string, image: string, overrides: ConfigMap = {}): Promise<TestStack> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), `ragstar-${namespace}-`));
    const paths: LocalPaths = { workDir: path.join(base, "work"), stateDir: path.join(base, "state"), manifestsDir: path.join(base, "unused") };
    const volume = reserveVolume(namespace);
    const config = (more: ConfigMap) => ({ "ragstar:namespace": { value: namespace }, ...overrides, ...more });
    const stack = await openLocalStack(image, paths, config({}), "cluster", localBuildArgs());
    return {
        stack,
        namespace,
        reconfigure: (more) => openLocalStack(image, paths, config(more), "cluster", localBuildArgs()),
        async dispose() {
            await stack.destroy().catch(() => undefined);
            try {
                kubectl(["delete", "persistentvolume", volume.name, "--wait=false"]);
            } catch {
                // already gone
            }
            fs.rmSync(volume.hostPath, { recursive: true, force: true });
            fs.rmSync(base, { recursive: true, force: true });
        },
    };
}

/** The single pod of the ragstar Deployment in `namespace` (its JSON). @throws Error when there is not exactly one. */
export function ragstarPod(namespace: string): any {
    const pods = kubectlJson<{ items: any[] }>(["-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=ragstar"]).items.filter((p) => !p.metadata.deletionTimestamp);
    if (pods.length !== 1) throw new Error(`expected one ragstar pod in ${namespace}, found ${pods.length}`);
    return pods[0];
}

/** The host PID of a running container (containerd's task), from its `containerd://<id>` status. */
export function hostPid(containerId: string): number {
    const id = containerId.replace(/^containerd:\/\//, "");
    const line = ctr(["tasks", "ls"]).split("\n").find((l) => l.startsWith(id));
    if (!line) throw new Error(`no containerd task ${id} on the node`);
    return Number(line.trim().split(/\s+/)[1]);
}

/** `/proc/<pid>/status` as a map of field to value. */
export function procStatus(pid: number): Record<string, string> {
    return Object.fromEntries(
        fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").filter(Boolean).map((line) => {
            const at = line.indexOf(":");
            return [line.slice(0, at), line.slice(at + 1).trim()];
        }),
    );
}

/** The Service's ClusterIP and port in `namespace` (routed on this host by the node's kube-proxy). */
export function serviceAddress(namespace: string, name = "ragstar"): string {
    const service = kubectlJson(["-n", namespace, "get", "service", name]);
    return `${service.spec.clusterIP}:${service.spec.ports[0].port}`;
}
