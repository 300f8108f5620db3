/**
 * The HorizontalPodAutoscaler (autoscaling/v2) of `ragstar:autoscaling`: the Deployment's replica
 * count between the bounds, from the pods' average CPU use against their cpu request (which every
 * stack sets: config/stackConfig.ts). The Deployment then leaves `replicas` out (deployment.ts).
 */
import type * as k8s from "@pulumi/kubernetes";

import type { Autoscaling } from "../config/database";

/** The HorizontalPodAutoscaler's name in its namespace. */
export const AUTOSCALER_NAME = "ragstar";

/**
 * @param deploymentName the Deployment it scales (same namespace)
 * @param autoscaling the validated bounds (minReplicas ≥ 1, maxReplicas ≥ minReplicas) and CPU target in percent
 */
export function autoscalerSpec(deploymentName: string, autoscaling: Autoscaling): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec {
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
        minReplicas: autoscaling.minReplicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage } } }],
    };
}
