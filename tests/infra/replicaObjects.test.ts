/** The objects of several replicas (postgres mode): PodDisruptionBudget, HorizontalPodAutoscaler, topology spread, and the replica ceiling they share. */
import { replicaCeiling } from "../../infra/config/database";
import { autoscalerSpec } from "../../infra/k8s/autoscaler";
import { disruptionBudgetSpec } from "../../infra/k8s/disruptionBudget";
import { selectorLabels } from "../../infra/k8s/labels";
import { SPREAD_TOPOLOGY_KEYS, topologySpreadConstraints } from "../../infra/k8s/topologySpread";

const scaling = (minReplicas: number, maxReplicas: number) => ({ minReplicas, maxReplicas, targetCPUUtilizationPercentage: 70 });

test("the replica ceiling: the autoscaler's maximum, else the fixed count, else 1", () => {
    expect(replicaCeiling({ database: "sqlite" })).toBe(1);
    expect(replicaCeiling({ database: "postgres", replicas: 3 })).toBe(3);
    expect(replicaCeiling({ database: "postgres", autoscaling: scaling(1, 4) })).toBe(4);
});

test("a PodDisruptionBudget of one eviction at a time, only when more than one replica can run", () => {
    expect(disruptionBudgetSpec("prod", { database: "sqlite", replicas: 1 })).toBeUndefined();
    expect(disruptionBudgetSpec("prod", { database: "postgres", replicas: 1 })).toBeUndefined();
    expect(disruptionBudgetSpec("prod", { database: "postgres", autoscaling: scaling(1, 1) })).toBeUndefined();
    const expected = { maxUnavailable: 1, selector: { matchLabels: selectorLabels("prod") }, unhealthyPodEvictionPolicy: "AlwaysAllow" };
    expect(disruptionBudgetSpec("prod", { database: "postgres", replicas: 2 })).toEqual(expected);
    // An autoscaler that may go above one replica gets the budget even while it runs one.
    expect(disruptionBudgetSpec("prod", { database: "postgres", autoscaling: scaling(1, 3) })).toEqual(expected);
});

test("the HorizontalPodAutoscaler scales the Deployment on average CPU against the request", () => {
    expect(autoscalerSpec("ragstar", scaling(2, 6))).toEqual({
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "ragstar" },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    });
});

test("spread over hostname and zone, preferred (ScheduleAnyway), per ReplicaSet", () => {
    const constraints = topologySpreadConstraints("prod");
    expect(constraints.map((c) => c.topologyKey)).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    expect(SPREAD_TOPOLOGY_KEYS).toHaveLength(2);
    for (const c of constraints) {
        expect(c).toEqual({ maxSkew: 1, topologyKey: c.topologyKey, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels("prod") }, matchLabelKeys: ["pod-template-hash"] });
    }
});
