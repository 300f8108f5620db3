/** The Deployment spec builder: replicas and strategy per database mode, the immutable selector, the template around a pod spec. */
import { deploymentSpec, deploymentStrategy, REVISION_HISTORY_LIMIT } from "../../infra/k8s/deployment";
import { commonLabels, selectorLabels } from "../../infra/k8s/labels";

test("one SQLite writer: the stack's replicas with Recreate; the selector on the selector labels only", () => {
    const labels = commonLabels("dev", "0.1.0");
    const pod = { containers: [{ name: "ragstar", image: "i" }] };
    expect(deploymentSpec("dev", labels, { database: "sqlite", replicas: 1 }, pod)).toEqual({
        replicas: 1,
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
        strategy: { type: "Recreate" },
        selector: { matchLabels: selectorLabels("dev") },
        template: { metadata: { labels }, spec: pod },
    });
    expect(REVISION_HISTORY_LIMIT).toBe(5);
});

test("replicas 0 stops the service; an unset count is 1", () => {
    expect(deploymentSpec("dev", {}, { database: "sqlite", replicas: 0 }, { containers: [] }).replicas).toBe(0);
    expect(deploymentSpec("dev", {}, { database: "sqlite" }, { containers: [] }).replicas).toBe(1);
});

test("postgres: RollingUpdate that never drops below the replica count (maxUnavailable 0, maxSurge 1)", () => {
    const spec = deploymentSpec("prod", {}, { database: "postgres", replicas: 3 }, { containers: [] });
    expect(spec.replicas).toBe(3);
    expect(spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(deploymentStrategy("sqlite")).toEqual({ type: "Recreate" });
});

test("with an autoscaler the spec leaves replicas out, so an apply does not take the count back", () => {
    const spec = deploymentSpec("prod", {}, { database: "postgres", autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } }, { containers: [] });
    expect(Object.keys(spec)).toEqual(["revisionHistoryLimit", "strategy", "selector", "template"]);
});
