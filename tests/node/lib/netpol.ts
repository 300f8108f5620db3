/**
 * NetworkPolicy on the real node: the engine's facts (scripts/lib/netpol.sh start_netpol), client
 * pods in namespaces of a test's own, and HTTP probes run inside a pod with `python -c` (the
 * project image has Python), which tell an answer from a dropped connection.
 */
import * as fs from "node:fs";
import { spawn, spawnSync } from "node:child_process";

import { kubectl, kubectlJson, type NodeFacts } from "../../../infra/tools/node/nodeCluster";

/** The running engine of the node: its pid, nfqueue number and iptables chain (mangle table). */
export interface NetpolEngine {
    pid: number;
    queue: number;
    chain: string;
}

/**
 * The NetworkPolicy engine of `node`, read from RAGSTAR_NETPOL_PID (exported by start_netpol):
 * the process is kube-network-policies for this node, its queue is bound in the kernel
 * (/proc/net/netfilter/nfnetlink_queue) and the chain RGNP-<id> sends to that queue.
 * @throws Error naming what is missing when the engine does not run or the diversion is absent
 */
export function netpolEngine(node: NodeFacts): NetpolEngine {
    const pid = Number(process.env.RAGSTAR_NETPOL_PID);
    if (!pid) throw new Error("the NetworkPolicy engine is not running: RAGSTAR_NETPOL_PID is not set (start_netpol of scripts/lib/netpol.sh exports it when start_node runs the engine)");
    let args: string[];
    try {
        args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
        throw new Error(`the NetworkPolicy engine is not running: no process ${pid} (RAGSTAR_NETPOL_PID); see the node folder's netpol.log`);
    }
    const flag = (name: string) => args[args.indexOf(name) + 1];
    if (!args[0].endsWith("/kube-network-policies") || flag("--hostname-override") !== node.name) {
        throw new Error(`process ${pid} (RAGSTAR_NETPOL_PID) is not kube-network-policies for node ${node.name}: ${args.join(" ")}`);
    }
    const queue = Number(flag("--nfqueue-id"));
    // Queues are per network namespace: read the node's list.
    const queues = spawnSync("nsenter", [`--net=${node.netns}`, "cat", "/proc/net/netfilter/nfnetlink_queue"], { encoding: "utf8" }).stdout ?? "";
    const bound = queues.split("\n").some((line) => Number(line.trim().split(/\s+/)[0]) === queue && line.trim() !== "");
    if (!bound) throw new Error(`the NetworkPolicy engine (pid ${pid}) does not hold nfqueue ${queue} (/proc/net/netfilter/nfnetlink_queue in ${node.netns})`);
    const chain = `RGNP-${node.name.replace(/^ragstar-node-/, "")}`;
    let rules = "";
    try {
        rules = mangleRules(node, chain);
    } catch (error) {
        rules = (error as Error).message;
    }
    if (!rules.includes(`--queue-num ${queue}`)) throw new Error(`the diversion to the NetworkPolicy engine is missing: ${rules}`);
    return { pid, queue, chain };
}

/**
 * `iptables -t mangle -S chain` in the node's network namespace: the chain's rules, one a line.
 * @throws Error with stderr when it fails (e.g. no such chain).
 */
export function mangleRules(node: NodeFacts, chain: string): string {
    const result = spawnSync("nsenter", [`--net=${node.netns}`, "iptables", "-t", "mangle", "-S", chain], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`iptables -t mangle -S ${chain} failed: ${result.stderr.trim()}`);
    return result.stdout;
}

/** Create `namespace` (deleted by deleteNamespaces) with the pull Secret `registry` for REGISTRY (scripts/with-image-infra). */
export function clientNamespace(namespace: string): void {
    const { REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD } = process.env;
    if (!REGISTRY || !REGISTRY_USERNAME || !REGISTRY_PASSWORD) throw new Error("REGISTRY is not set: run through scripts/with-image-infra");
    kubectl(["create", "namespace", namespace]);
    kubectl(["-n", namespace, "create", "secret", "docker-registry", "registry", `--docker-server=${REGISTRY.split("/")[0]}`,
        `--docker-username=${REGISTRY_USERNAME}`, `--docker-password=${REGISTRY_PASSWORD}`]);
}

/** Delete the namespaces and everything in them, without waiting. */
export function deleteNamespaces(namespaces: string[]): void {
    for (const namespace of namespaces) {
        try {
            kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
        } catch {
            // the cluster is gone
        }
    }
}

/**
 * A pod `client` in `namespace` on `node` that only sleeps, from `image` (pulled with the Secret
 * of clientNamespace), with the securityContext Pod Security's `restricted` level asks for; waits
 * until it is Ready.
 */
export function clientPod(namespace: string, image: string, node: NodeFacts): string {
    const name = "client";
    kubectl(["apply", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: { app: "netpol-client" } },
        spec: {
            nodeSelector: { "kubernetes.io/hostname": node.name },
            imagePullSecrets: [{ name: "registry" }],
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 0,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{
                name: "client", image, command: ["python", "-c", "import time; time.sleep(3600)"],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            }],
        },
    }));
    kubectl(["-n", namespace, "wait", "--for=condition=Ready", `pod/${name}`, "--timeout=180s"], undefined, 200_000);
    return name;
}

/** What an HTTP GET from inside a pod gave: the status code, or that the connection timed out. */
export type ProbeResult = number | "timeout";

const PROBE = `
import socket, sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).status)
except urllib.error.HTTPError as e:
    print(e.code)
except (socket.timeout, TimeoutError):
    print("timeout")
except urllib.error.URLError as e:
    print("timeout" if isinstance(e.reason, (socket.timeout, TimeoutError)) else "error %r" % (e.reason,))
`;

/**
 * GET `url` from container `container` of pod `pod` (`kubectl exec`, as the container's user);
 * a connection the engine drops shows as "timeout" after `timeoutSeconds`.
 * @throws Error for any other failure (refused, unreachable), with Python's reason
 */
export function httpFromPod(namespace: string, pod: string, container: string, url: string, timeoutSeconds = 3): ProbeResult {
    const out = kubectl(["-n", namespace, "exec", pod, "-c", container, "--", "python", "-c", PROBE, url, String(timeoutSeconds)]).trim();
    if (out === "timeout") return out;
    if (/^\d+$/.test(out)) return Number(out);
    throw new Error(`GET ${url} from ${namespace}/${pod}: ${out}`);
}

/** The IP and container port (by name) of a pod, e.g. for a probe that bypasses the Service. */
export function podEndpoint(namespace: string, pod: string, portName: string): string {
    const json = kubectlJson(["-n", namespace, "get", "pod", pod]);
    const port = json.spec.containers.flatMap((c: any) => c.ports ?? []).find((p: any) => p.name === portName);
    if (!port) throw new Error(`pod ${namespace}/${pod} has no port named ${portName}`);
    return `${json.status.podIP}:${port.containerPort}`;
}

/** An HTTP server in a child process (python3 on the host, as root) answering 200 "ok" to GET. */
export interface HostServer {
    port: number;
    stop(): void;
}

const SERVER = `
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer((sys.argv[1], 0), Ok)
print(server.server_address[1], flush=True)
server.serve_forever()
`;

/**
 * Start a server on `host`, a free port. A child process, not this one: the probes run through
 * spawnSync (kubectl exec), which blocks this process's event loop, so a server in it would
 * accept the connection and never answer.
 * @throws Error when it does not print its port within 10 s
 */
export async function startHostServer(host: string): Promise<HostServer> {
    const child = spawn("python3", ["-c", SERVER, host], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the HTTP server on ${host} did not start: ${err}`)), 10_000);
        child.stdout.once("data", (d) => {
            clearTimeout(timer);
            resolve(Number(String(d).trim()));
        });
        child.once("exit", (code) => reject(new Error(`the HTTP server on ${host} exited (${code}): ${err}`)));
    });
    return { port, stop: () => child.kill() };
}
