/**
 * A config change rolls the pod (issue 13 §2): `ragstar:app.log_level` changed through the real
 * `local` stack (pulumi up, infra/tools/node/nodeCluster.ts) rolls the Deployment with the Recreate strategy,
 * and a client polling /health through the Service's ClusterIP every 100 ms sees one outage, from
 * the old pod's end to the new pod's Ready (infra/tools/node/rolloutTiming.ts). The window is a
 * benchmark figure (`bench:rollout`, docs/performance.md), printed here, not a timed assertion.
 */
import { measureRecreate, type RecreateRun } from "../../infra/tools/node/rolloutTiming";
import { secondsReplacer } from "../../infra/tools/node/probeTiming";
import { kubectlJson, nodeFacts, openTestStack, pushedImage, serviceAddress, type TestStack } from "../../infra/tools/node/nodeCluster";

const NAMESPACE = "ragstar-node-rollout";
let deployed: TestStack;
let run: RecreateRun;

beforeAll(async () => {
    nodeFacts();
    deployed = await openTestStack(NAMESPACE, pushedImage());
    expect((await deployed.stack.up()).summary.result).toBe("succeeded");
    const url = `http://${serviceAddress(NAMESPACE)}/health`;
    run = await measureRecreate(NAMESPACE, "app.kubernetes.io/name=ragstar", url, async () => {
        const changed = await deployed.reconfigure({ "ragstar:app.log_level": { value: "info" } });
        expect((await changed.up()).summary.result).toBe("succeeded");
    });
    process.stdout.write(`${JSON.stringify({ recreate: run }, secondsReplacer)}\n`);
}, 600_000);

afterAll(async () => {
    await deployed?.dispose();
});

test("the change rolled the pod: a new pod, Ready, with the new log level in its config", () => {
    const pods = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=ragstar"]).items.filter((p) => !p.metadata.deletionTimestamp);
    expect(pods.map((p) => p.metadata.name)).toEqual([run.newPod]);
    const configMaps = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "configmaps"]).items.map((c) => JSON.stringify(c.data ?? {}));
    expect(configMaps.join("\n")).toContain("log_level: info");
});

test("Recreate: the client saw one outage (the old pod ends before the new one is Ready), and the Service answers again after it", () => {
    expect(run.outage.failedPolls).toBeGreaterThan(0);
    expect(run.outage.gapNs).toBeGreaterThan(0n);
    // The Service answered again no earlier than the new app listened.
    expect(run.listeningToServedNs).toBeGreaterThan(0n);
    expect(run.listeningToReadyNs).toBeGreaterThan(0n);
});
