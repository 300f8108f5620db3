/** The NetworkPolicy builder, called directly: default deny, the http port in, DNS and the configured destinations out. */
import { dnsEgressRule, namespaceNamed, networkPolicySpec } from "../../infra/k8s/networkPolicy";

const plain = (value: unknown): Record<string, any> => value as Record<string, any>;

test("with no network config: the pods of the stack, both directions denied but for http from the namespace and DNS", () => {
    expect(networkPolicySpec("dev", { ingressNamespaces: [], egress: [] })).toEqual({
        podSelector: { matchLabels: { "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": "dev" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }], ports: [{ port: "http", protocol: "TCP" }] }],
        egress: [{
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
        }],
    });
});

test("ingress namespaces are selected by their metadata.name label", () => {
    const spec = plain(networkPolicySpec("prod", { ingressNamespaces: ["ingress-nginx", "monitoring"], egress: [] }));
    expect(spec.ingress).toEqual([{
        from: [{ podSelector: {} }, { namespaceSelector: namespaceNamed("ingress-nginx") }, { namespaceSelector: namespaceNamed("monitoring") }],
        ports: [{ port: "http", protocol: "TCP" }],
    }]);
});

test("egress: an IP block, a namespace's pods by labels, a whole namespace, each with its ports, after DNS", () => {
    const spec = plain(networkPolicySpec("dev", {
        ingressNamespaces: [],
        egress: [
            { cidr: "140.82.112.0/20", ports: [{ port: 443, protocol: "TCP" }] },
            { namespace: "ollama", podLabels: { "app.kubernetes.io/name": "ollama" }, ports: [{ port: 11434, protocol: "TCP" }] },
            { namespace: "llm", ports: [{ port: 8080, protocol: "TCP" }, { port: 8081, protocol: "UDP" }] },
        ],
    }));
    expect(spec.egress[0]).toEqual(dnsEgressRule());
    expect(spec.egress.slice(1)).toEqual([
        { to: [{ ipBlock: { cidr: "140.82.112.0/20" } }], ports: [{ port: 443, protocol: "TCP" }] },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ollama" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ollama" } } }], ports: [{ port: 11434, protocol: "TCP" }] },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm" } } }], ports: [{ port: 8080, protocol: "TCP" }, { port: 8081, protocol: "UDP" }] },
    ]);
});

test("postgres mode: the database's rule comes right after DNS, before the other destinations", () => {
    const spec = plain(networkPolicySpec("staging", {
        ingressNamespaces: [],
        database: { namespace: "ragstar-staging-db", podLabels: { "cnpg.io/cluster": "ragstar-db" }, ports: [{ port: 5432, protocol: "TCP" }] },
        egress: [{ cidr: "140.82.112.0/20", ports: [{ port: 443, protocol: "TCP" }] }],
    }));
    expect(spec.egress.map((rule: any) => rule.ports[0].port)).toEqual([53, 5432, 443]);
    expect(spec.egress[1]).toEqual({
        to: [{ namespaceSelector: namespaceNamed("ragstar-staging-db"), podSelector: { matchLabels: { "cnpg.io/cluster": "ragstar-db" } } }],
        ports: [{ port: 5432, protocol: "TCP" }],
    });
});
