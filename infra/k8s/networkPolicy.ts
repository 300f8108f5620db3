/**
 * The pod's NetworkPolicy: default deny in both directions for the pods of one stack, then the
 * `http` port from the stack's own namespace and the configured ones; DNS, the PostgreSQL server
 * (`ragstar:network.database`, postgres mode) and the configured destinations
 * (`ragstar:network.egress`), out.
 */
import type * as k8s from "@pulumi/kubernetes";

import type { PlainStackConfig } from "../config/stackConfig";
import { selectorLabels } from "./labels";
import { CONTAINER_PORT_NAME } from "./podSpec";

/**
 * A selector for the namespace named `name`, through the label the API server sets on every
 * namespace (`kubernetes.io/metadata.name`, Kubernetes ≥ 1.21), so no namespace needs a label of ours.
 */
export function namespaceNamed(name: string): k8s.types.input.meta.v1.LabelSelector {
    return { matchLabels: { "kubernetes.io/metadata.name": name } };
}

/** DNS out: the cluster's resolver (kube-system's `k8s-app: kube-dns` pods, CoreDNS too) on port 53, UDP and TCP. */
export function dnsEgressRule(): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
    return {
        to: [{ namespaceSelector: namespaceNamed("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
        ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
    };
}

/** One egress rule to a validated destination: an IP block, or a namespace's pods (optionally by labels), with its ports. */
function egressTo(rule: PlainStackConfig["network"]["egress"][number]): k8s.types.input.networking.v1.NetworkPolicyEgressRule {
    return {
        to: [
            "cidr" in rule
                ? { ipBlock: { cidr: rule.cidr } }
                : {
                      namespaceSelector: namespaceNamed(rule.namespace),
                      ...(rule.podLabels ? { podSelector: { matchLabels: rule.podLabels } } : {}),
                  },
        ],
        ports: rule.ports,
    };
}

/**
 * @param instance the stack name (`app.kubernetes.io/instance`), which selects the pods
 * @param network the validated `ragstar:network`: namespaces allowed in, the database (postgres mode
 *   only) and the other destinations (an IP block, or a namespace's pods, optionally by labels) with their ports
 */
export function networkPolicySpec(instance: string, network: PlainStackConfig["network"]): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: selectorLabels(instance) },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{
            from: [
                // Every pod of the stack's own namespace.
                { podSelector: {} },
                ...network.ingressNamespaces.map((ns) => ({ namespaceSelector: namespaceNamed(ns) })),
            ],
            ports: [{ port: CONTAINER_PORT_NAME, protocol: "TCP" }],
        }],
        egress: [dnsEgressRule(), ...(network.database ? [egressTo(network.database)] : []), ...network.egress.map(egressTo)],
    };
}
