/**
 * The Deployment's spec around a pod spec: the replica count and the update strategy the database
 * mode allows (config/database.ts), and the immutable selector on the selector labels only.
 */
import type * as k8s from "@pulumi/kubernetes";

import type { ReplicaConfig } from "../config/database";
import { selectorLabels } from "./labels";

/** The Deployment's name in its namespace (`kubectl -n NAMESPACE get deployment ragstar`). */
export const DEPLOYMENT_NAME = "ragstar";

/** How many old ReplicaSets the Deployment keeps for `kubectl rollout undo`. */
export const REVISION_HISTORY_LIMIT = 5;

/**
 * The update strategy of a mode.
 * - `sqlite`: Recreate. One SQLite writer on a volume one node mounts: the old pod must stop (and
 *   release the lock and the volume) before the new one starts.
 * - `postgres`: RollingUpdate with maxUnavailable 0 and maxSurge 1. A new pod starts beside the old
 *   ones and an old pod stops only once the new one is ready, so the ready count never drops below
 *   the replica count: no request meets a missing endpoint (docs/database.md).
 */
export function deploymentStrategy(database: ReplicaConfig["database"]): k8s.types.input.apps.v1.DeploymentStrategy {
    return database === "postgres" ? { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } : { type: "Recreate" };
}

/**
 * @param instance the stack name (`app.kubernetes.io/instance`)
 * @param labels the pod template's labels, the common labels (they include the selector labels)
 * @param config the mode and the replica count; with `autoscaling` the spec leaves `replicas` out, so
 *   the next `pulumi up` (server-side apply) does not take the count back from the HorizontalPodAutoscaler
 * @param podSpec see `ragstarPodSpec`
 */
export function deploymentSpec(
    instance: string,
    labels: Record<string, string>,
    config: ReplicaConfig,
    podSpec: k8s.types.input.core.v1.PodSpec,
): k8s.types.input.apps.v1.DeploymentSpec {
    return {
        ...(config.autoscaling ? {} : { replicas: config.replicas ?? 1 }),
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
        strategy: deploymentStrategy(config.database),
        selector: { matchLabels: selectorLabels(instance) },
        template: { metadata: { labels }, spec: podSpec },
    };
}
