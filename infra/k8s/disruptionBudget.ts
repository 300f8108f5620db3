/**
 * The PodDisruptionBudget: at most one RAGstar pod of a stack evicted at a time (node drains,
 * cluster autoscaler scale-downs), and only when more than one replica can run. A budget over a
 * single pod either blocks every drain (minAvailable: 1) or protects nothing, so the object is left
 * out then (docs/database.md).
 */
import type * as k8s from "@pulumi/kubernetes";

import { replicaCeiling, type ReplicaConfig } from "../config/database";
import { selectorLabels } from "./labels";

/** The PodDisruptionBudget's name in its namespace. */
export const DISRUPTION_BUDGET_NAME = "ragstar";

/**
 * @param instance the stack name, which selects the pods
 * @param config the mode and replica count or autoscaler bounds
 * @returns the spec, or undefined when at most one replica can run (`replicaCeiling` ≤ 1)
 */
export function disruptionBudgetSpec(instance: string, config: ReplicaConfig): k8s.types.input.policy.v1.PodDisruptionBudgetSpec | undefined {
    if (replicaCeiling(config) <= 1) return undefined;
    return {
        maxUnavailable: 1,
        selector: { matchLabels: selectorLabels(instance) },
        // A pod that is not ready serves nothing, so evicting it costs nothing: without this a
        // crash-looping pod would hold the budget and block every drain (policy/v1, Kubernetes ≥ 1.31 GA).
        unhealthyPodEvictionPolicy: "AlwaysAllow",
    };
}
