/**
 * The Deployment's spec around a pod spec: one SQLite writer, so the stack's replica count (1, or 0
 * to stop it) with the Recreate strategy, and the immutable selector on the selector labels only.
 */
import type * as k8s from "@pulumi/kubernetes";

import type { PlainStackConfig } from "../config/stackConfig";
import { selectorLabels } from "./labels";

/** The Deployment's name in its namespace (`kubectl -n NAMESPACE get deployment ragstar`). */
export const DEPLOYMENT_NAME = "ragstar";

/** How many old ReplicaSets the Deployment keeps for `kubectl rollout undo`. */
export const REVISION_HISTORY_LIMIT = 5;

/**
 * @param instance the stack name (`app.kubernetes.io/instance`)
 * @param labels the pod template's labels, the common labels (they include the selector labels)
 * @param podSpec see `ragstarPodSpec`
 */
export function deploymentSpec(
    instance: string,
    labels: Record<string, string>,
    config: Pick<PlainStackConfig, "replicas">,
    podSpec: k8s.types.input.core.v1.PodSpec,
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        replicas: config.replicas,
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
        // One SQLite writer on a volume one node mounts: stop the old pod before the new one starts.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selectorLabels(instance) },
        template: { metadata: { labels }, spec: podSpec },
    };
}
