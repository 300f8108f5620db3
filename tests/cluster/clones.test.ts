/**
 * Two checkouts on one machine: a second clone's embedded control plane starts beside the one
 * scripts/with-cluster started for these tests, on ports of its own, and its real node beside this
 * checkout's node, in a network namespace of its own (scripts/lib/node.sh); each stop step ends
 * only its own processes (scripts/lib/control-plane.sh, cp_ports).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "../infra/projectFixture";

const KUBECTL = path.join(process.env.KUBE_BIN ?? "", "kubectl");

function kubectl(kubeconfig: string, args: string[]): { code: number; stdout: string } {
    const result = spawnSync(KUBECTL, ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", timeout: 60_000 });
    return { code: result.status ?? -1, stdout: result.stdout ?? "" };
}

/** Run control-plane functions as an entry script of the clone at `root` would. */
function controlPlane(root: string, ...functions: string[]): { code: number; stderr: string; stdout: string } {
    const script = [
        "set -euo pipefail",
        `repo_root=${JSON.stringify(root)}`,
        'source "$repo_root/scripts/lib/log.sh"',
        'source "$repo_root/scripts/lib/versions.sh"',
        'cache_dir="$(ensure_cache_dir)"',
        'source "$repo_root/scripts/lib/kube-tools.sh"',
        'source "$repo_root/scripts/lib/control-plane.sh"',
        'source "$repo_root/scripts/lib/node.sh"',
        'source "$repo_root/scripts/lib/netpol.sh"',
        "ensure_kube_tools",
        ...functions,
    ].join("\n");
    const result = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 300_000 });
    return { code: result.status ?? -1, stderr: result.stderr ?? "", stdout: result.stdout ?? "" };
}

/** clone_id of scripts/lib/log.sh: the first six hex digits of sha256(the checkout's path). */
const cloneId = (root: string) => createHash("sha256").update(root).digest("hex").slice(0, 6);
const cloneIndex = (root: string) => parseInt(cloneId(root).slice(0, 2), 16);

/** A scratch folder whose clone_index differs from this checkout's (equal ones share subnets, which start_node refuses). */
function scratchClone(): string {
    for (;;) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-clone-"));
        if (cloneIndex(dir) !== cloneIndex(REPO_ROOT)) return dir;
        fs.rmSync(dir, { recursive: true });
    }
}

function nodeReady(kubeconfig: string, node: string): string {
    return kubectl(kubeconfig, ["get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"]).stdout;
}

function hostLinks(): string {
    return spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
}

const serverPort = (kubeconfig: string) => /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(kubeconfig, "utf8"))?.[1];

describe("a second clone's control plane", () => {
    const first = process.env.KUBECONFIG ?? "";
    const clone = scratchClone();
    const second = path.join(clone, ".cache/control-plane/kubeconfig");

    beforeAll(() => {
        if (!first || !process.env.KUBE_BIN) throw new Error("KUBE_BIN and KUBECONFIG are not set: run through scripts/with-cluster (scripts/test does)");
        // The clone's own scripts and folders; the built binaries are shared as a clone's cache would be.
        fs.cpSync(path.join(REPO_ROOT, "scripts"), path.join(clone, "scripts"), { recursive: true });
        fs.symlinkSync(path.join(REPO_ROOT, ".tools"), path.join(clone, ".tools"));
    });

    afterAll(() => {
        controlPlane(clone, "stop_node", "stop_control_plane");
        fs.rmSync(clone, { recursive: true, force: true });
    });

    test("starts beside the running one, on other ports, as another cluster", () => {
        const started = controlPlane(clone, "start_control_plane");
        expect({ code: started.code, tail: started.stderr.split("\n").slice(-5) }).toEqual({ code: 0, tail: expect.arrayContaining([expect.stringContaining("control plane started")]) });
        expect(serverPort(second)).toMatch(/^\d+$/);
        expect(serverPort(second)).not.toBe(serverPort(first));
        expect(kubectl(second, ["get", "--raw", "/readyz"]).code).toBe(0);
        // Separate clusters: an object made in the second is not in the first.
        expect(kubectl(second, ["create", "namespace", "ragstar-second-clone"]).code).toBe(0);
        expect(kubectl(first, ["get", "namespace", "ragstar-second-clone"]).code).not.toBe(0);
    });

    test("a second start of the same clone finds it running on its ports", () => {
        const port = serverPort(second);
        const again = controlPlane(clone, "start_control_plane");
        expect(again.code).toBe(0);
        expect(again.stderr).toContain(`control plane: already running (https://127.0.0.1:${port})`);
    });

    test("its node starts beside this checkout's node, in its own network namespace, subnets and Service range", () => {
        const id = cloneId(clone);
        const n = cloneIndex(clone);
        const started = controlPlane(clone, "start_control_plane", "start_node");
        expect({ code: started.code, tail: started.stderr.trim().split("\n").at(-1) }).toEqual({
            code: 0,
            tail: expect.stringMatching(new RegExp(`node ragstar-node-${id} \\(10\\.245\\.${n}\\.2, pods 10\\.244\\.${n}\\.0/24, Services 10\\.96\\.${n}\\.0/24, namespace ${clone}/\\.cache/node/netns\\) Ready in \\d+ s$`)),
        });
        expect(nodeReady(second, `ragstar-node-${id}`)).toBe("True");
        expect(nodeReady(first, process.env.RAGSTAR_NODE_NAME ?? "")).toBe("True");
        // Each node's kube-proxy answers on its own InternalIP; their chains are in their namespaces, none on the host.
        for (const ip of [`10.245.${n}.2`, process.env.RAGSTAR_NODE_IP]) {
            expect(spawnSync("curl", ["-sf", "-o", "/dev/null", "-w", "%{http_code}", `http://${ip}:10256/healthz`], { encoding: "utf8" }).stdout).toBe("200");
        }
        const chains = (netns?: string) => spawnSync(netns ? "nsenter" : "iptables-save", netns ? [`--net=${netns}`, "iptables-save", "-t", "nat"] : ["-t", "nat"], { encoding: "utf8" }).stdout;
        expect(chains()).not.toContain(":KUBE-SERVICES");
        expect(chains(path.join(clone, ".cache/node/netns"))).toContain(":KUBE-SERVICES");
        expect(chains(process.env.RAGSTAR_NODE_NETNS)).toContain(":KUBE-SERVICES");
        // A pod on the clone's node (the sandbox image, already on it) gets an address of the clone's subnet, routed to its link.
        const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "second-clone", namespace: "default" }, spec: {
            nodeName: `ragstar-node-${id}`, automountServiceAccountToken: false,
            containers: [{ name: "pause", image: "ragstar.local/pause:1", imagePullPolicy: "Never" }] } };
        const created = spawnSync(KUBECTL, ["--kubeconfig", second, "apply", "-f", "-"], { input: JSON.stringify(pod), encoding: "utf8" });
        expect(created.status).toBe(0);
        expect(kubectl(second, ["wait", "--for=condition=Ready", "pod/second-clone", "--timeout=60s"]).code).toBe(0);
        const podIp = kubectl(second, ["get", "pod", "second-clone", "-o", "jsonpath={.status.podIP}"]).stdout;
        expect(podIp).toMatch(new RegExp(`^10\\.244\\.${n}\\.\\d+$`));
        expect(spawnSync("ip", ["route", "get", podIp], { encoding: "utf8" }).stdout).toContain(`dev rgn${id}`);
    });

    test("its node's stop step removes only its own node: this checkout's node stays Ready and its link stays", () => {
        const id = cloneId(clone);
        const stopped = controlPlane(clone, "start_control_plane", "stop_node");
        expect({ code: stopped.code, tail: stopped.stderr.trim().split("\n").at(-1) }).toEqual({ code: 0, tail: expect.stringContaining(`node ragstar-node-${id} stopped; host restored`) });
        expect(hostLinks()).not.toContain(`rgn${id}`);
        expect(fs.existsSync(path.join(clone, ".cache/node"))).toBe(false);
        const own = cloneId(REPO_ROOT);
        expect(hostLinks()).toContain(`rgn${own}`);
        expect(nodeReady(first, process.env.RAGSTAR_NODE_NAME ?? "")).toBe("True");
        expect(spawnSync("curl", ["-sf", "-o", "/dev/null", "-w", "%{http_code}", `http://${process.env.RAGSTAR_NODE_IP}:10256/healthz`], { encoding: "utf8" }).stdout).toBe("200");
    });

    test("its stop step ends only its own control plane", () => {
        expect(controlPlane(clone, "stop_control_plane").code).toBe(0);
        expect(kubectl(second, ["get", "--raw", "/readyz"]).code).not.toBe(0);
        expect(fs.existsSync(path.join(clone, ".cache/control-plane/ports"))).toBe(false);
        expect(kubectl(first, ["get", "--raw", "/readyz"]).code).toBe(0);
    });
});
