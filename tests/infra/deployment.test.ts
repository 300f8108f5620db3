/** The Deployment spec builder: replicas, Recreate, the immutable selector, the template around a pod spec. */
import { deploymentSpec, REVISION_HISTORY_LIMIT } from "../../infra/k8s/deployment";
import { commonLabels, selectorLabels } from "../../infra/k8s/labels";

test("one SQLite writer: the stack's replicas with Recreate; the selector on the selector labels only", () => {
    const labels = commonLabels("dev", "0.1.0");
    const pod = { containers: [{ name: "ragstar", image: "i" }] };
    expect(deploymentSpec("dev", labels, { replicas: 1 }, pod)).toEqual({
        replicas: 1,
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
        strategy: { type: "Recreate" },
        selector: { matchLabels: selectorLabels("dev") },
        template: { metadata: { labels }, spec: pod },
    });
    expect(REVISION_HISTORY_LIMIT).toBe(5);
});

test("replicas 0 stops the service", () => {
    expect(deploymentSpec("dev", {}, { replicas: 0 }, { containers: [] }).replicas).toBe(0);
});
