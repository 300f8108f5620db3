/**
 * The stack's NetworkPolicy (infra/k8s/networkPolicy.ts), enforced on the real node by
 * kube-network-policies (scripts/lib/netpol.sh): pods of a namespace that `ragstar:network`'s
 * ingressNamespaces does not list cannot open a connection to the ragstar pod (it times out: the
 * engine drops the first packet), pods of a listed namespace get /health; the ragstar pod reaches
 * the destination `ragstar:network.egress` allows (an HTTP server this test starts on the host's
 * address on the node's link) and not the same address on another port. Clients run in pods: the
 * engine's diversion skips the host's own connections (this test process) and the kubelet's probes.
 */
import { kubectl, nodeFacts, openTestStack, pushedImage, ragstarPod, serviceAddress, type TestStack } from "../../infra/tools/node/nodeCluster";
import {
    clientNamespace, clientPod, deleteNamespaces, httpFromPod, mangleRules, netpolEngine, podEndpoint, startHostServer,
    type HostServer, type NetpolEngine,
} from "./lib/netpol";

const NAMESPACE = "ragstar-node-netpol";
const LISTED = "ragstar-node-netpol-in";
const UNLISTED = "ragstar-node-netpol-out";

let engine: NetpolEngine;
let deployed: TestStack;
let servers: HostServer[] = [];
let allowedPort: number;
let blockedPort: number;
let image: string;

beforeAll(async () => {
    const node = nodeFacts();
    engine = netpolEngine(node); // fails here, naming what is missing, when the engine is not running
    servers = [await startHostServer(node.hostIp), await startHostServer(node.hostIp)];
    [allowedPort, blockedPort] = servers.map((s) => s.port);
    image = pushedImage();
    const network = { ingressNamespaces: [LISTED], egress: [{ cidr: `${node.hostIp}/32`, ports: [{ port: allowedPort }] }] };
    deployed = await openTestStack(NAMESPACE, image, { "ragstar:network": { value: JSON.stringify(network) } });
    const up = await deployed.stack.up();
    expect(up.summary.result).toBe("succeeded");
    for (const namespace of [LISTED, UNLISTED]) {
        clientNamespace(namespace);
        clientPod(namespace, image, node);
    }
});

afterAll(async () => {
    deleteNamespaces([LISTED, UNLISTED]);
    await deployed?.dispose();
    for (const server of servers) server.stop();
});

test("the engine runs for this node and new connections of its pods go to its queue", () => {
    expect(engine.queue).toBeGreaterThanOrEqual(0);
    const rules = mangleRules(nodeFacts(), engine.chain);
    expect(rules).toContain(`-j NFQUEUE --queue-num ${engine.queue}`);
    expect(rules).not.toContain("--queue-bypass"); // fail-closed
    expect(mangleRules(nodeFacts(), "POSTROUTING")).toContain(`-j ${engine.chain}`);
    // The policy the test stack deployed is the one the engine enforces below.
    const policy = JSON.parse(kubectl(["-n", NAMESPACE, "get", "networkpolicy", "ragstar", "-o", "json"]));
    expect(policy.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": LISTED } } });
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: `${nodeFacts().hostIp}/32` } }], ports: [{ port: allowedPort, protocol: "TCP" }] });
});

test("ingress: a pod of a namespace not in ingressNamespaces times out on the ragstar pod's port; one of a listed namespace gets 200 from /health", () => {
    const pod = ragstarPod(NAMESPACE).metadata.name;
    const direct = `http://${podEndpoint(NAMESPACE, pod, "http")}/health`;
    const service = `http://${serviceAddress(NAMESPACE)}/health`;
    expect(httpFromPod(UNLISTED, "client", "client", direct)).toBe("timeout");
    expect(httpFromPod(UNLISTED, "client", "client", service)).toBe("timeout");
    expect(httpFromPod(LISTED, "client", "client", direct)).toBe(200);
    expect(httpFromPod(LISTED, "client", "client", service)).toBe(200);
});

test("egress: the ragstar pod reaches the allowed port on the host's address and times out on another port of the same address", async () => {
    const node = nodeFacts();
    const pod = ragstarPod(NAMESPACE).metadata.name;
    // Both servers answer this process (on the host), so a timeout below is the policy.
    for (const port of [allowedPort, blockedPort]) expect((await fetch(`http://${node.hostIp}:${port}/`)).status).toBe(200);
    expect(httpFromPod(NAMESPACE, pod, "ragstar", `http://${node.hostIp}:${allowedPort}/`)).toBe(200);
    expect(httpFromPod(NAMESPACE, pod, "ragstar", `http://${node.hostIp}:${blockedPort}/`)).toBe("timeout");
});
