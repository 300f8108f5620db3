/**
 * Where the scheduler puts the replicas: spread over nodes and zones, so one node or zone lost
 * takes at most its share. `ScheduleAnyway`: a skew is preferred away, never a reason to leave a
 * pod pending (a one-zone cluster still runs every replica). Only in the postgres mode, where
 * several replicas can run; the sqlite mode's one pod has nothing to spread.
 */
import type * as k8s from "@pulumi/kubernetes";

import { selectorLabels } from "./labels";

/** The node labels spread over: the well-known hostname and zone labels (kubernetes.io/docs/reference/labels-annotations-taints). */
export const SPREAD_TOPOLOGY_KEYS = ["kubernetes.io/hostname", "topology.kubernetes.io/zone"] as const;

/**
 * @param instance the stack name, which selects the pods counted
 * @returns one constraint per topology key: maxSkew 1, ScheduleAnyway, the stack's pods of the same
 *   ReplicaSet (`matchLabelKeys: [pod-template-hash]`, so a rolling update spreads the new pods
 *   among themselves instead of around the old ones)
 */
export function topologySpreadConstraints(instance: string): k8s.types.input.core.v1.TopologySpreadConstraint[] {
    return SPREAD_TOPOLOGY_KEYS.map((topologyKey) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: selectorLabels(instance) },
        matchLabelKeys: ["pod-template-hash"],
    }));
}
