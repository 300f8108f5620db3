/**
 * Two checkouts on one machine: a second clone's embedded control plane starts beside the one
 * scripts/with-cluster started for these tests, on ports of its own, and its stop step ends only
 * its own processes (scripts/lib/control-plane.sh, cp_ports).
 */
import { spawnSync } from "node:child_process";
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
function controlPlane(root: string, ...functions: string[]): { code: number; stderr: string } {
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
    return { code: result.status ?? -1, stderr: result.stderr ?? "" };
}

const serverPort = (kubeconfig: string) => /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(kubeconfig, "utf8"))?.[1];

describe("a second clone's control plane", () => {
    const first = process.env.KUBECONFIG ?? "";
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-clone-"));
    const second = path.join(clone, ".cache/control-plane/kubeconfig");

    beforeAll(() => {
        if (!first || !process.env.KUBE_BIN) throw new Error("KUBE_BIN and KUBECONFIG are not set: run through scripts/with-cluster (scripts/test does)");
        // The clone's own scripts and folders; the built binaries are shared as a clone's cache would be.
        fs.cpSync(path.join(REPO_ROOT, "scripts"), path.join(clone, "scripts"), { recursive: true });
        fs.symlinkSync(path.join(REPO_ROOT, ".tools"), path.join(clone, ".tools"));
    });

    afterAll(() => {
        controlPlane(clone, "stop_control_plane");
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

    test("its node is refused while this checkout's node runs, naming why (kube-proxy's chains are host-wide)", () => {
        const refused = controlPlane(clone, "start_node");
        expect(refused.code).toBe(1);
        expect(refused.stderr.trim().split("\n").at(-1)).toMatch(
            /^error: another checkout's node runs on this host \(kubelet pid \d+\): kube-proxy's iptables chains are host-wide, so one checkout's node runs at a time; stop it with 'bash scripts\/main stop-cluster' in that checkout$/,
        );
        // Nothing of the refused node was made: no bridge, no state folder.
        expect(fs.existsSync(path.join(clone, ".cache/node"))).toBe(false);
    });

    test("its stop step ends only its own control plane", () => {
        expect(controlPlane(clone, "stop_control_plane").code).toBe(0);
        expect(kubectl(second, ["get", "--raw", "/readyz"]).code).not.toBe(0);
        expect(fs.existsSync(path.join(clone, ".cache/control-plane/ports"))).toBe(false);
        expect(kubectl(first, ["get", "--raw", "/readyz"]).code).toBe(0);
    });
});
