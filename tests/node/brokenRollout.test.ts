/**
 * A broken rollout on the real node: an image whose service never answers /health with success
 * (derived from the project image, HEALTHCHECK kept, its CMD a server that answers 503 to every
 * request) makes `pulumi up` fail at the Deployment's create timeout (infra/k8s/rolloutTimeouts.ts:
 * the startupProbe's budget + one readiness period + the start margin), not after the provider's
 * 10 minutes, and the error names the failing probe and shows the pod's last events and log lines
 * (infra/tools/engine/clusterUp.ts). Also checks the budget itself against the kubelet: the
 * container is killed no later than the startup budget after it started.
 */
import { rolloutTimeouts } from "../../infra/k8s/rolloutTimeouts";
import { startupBudgetSeconds } from "../../infra/probes/timingModel";
import { RolloutFailure, upWithRolloutDiagnosis } from "../../infra/tools/engine/clusterUp";
import { pushDerivedImage } from "./lib/derivedImage";
import { kubectlJson, nodeFacts, openTestStack, pushedImage, type TestStack } from "../../infra/tools/node/nodeCluster";

const NAMESPACE = "ragstar-node-broken";

/** Listens where the probes look (0.0.0.0:8000), logs each request, answers 503; ends on SIGTERM as the real app does. */
const BROKEN_SERVER = [
    "import http.server, signal, sys",
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))",
    "print('broken on purpose: every request gets 503 (tests/node/brokenRollout.test.ts)', flush=True)",
    "class H(http.server.BaseHTTPRequestHandler):",
    "    def do_GET(self):",
    "        self.send_response(503); self.end_headers(); self.wfile.write(b'not healthy')",
    "http.server.HTTPServer(('0.0.0.0', 8000), H).serve_forever()",
].join("\n");

let deployed: TestStack;
let image: string;

beforeAll(async () => {
    nodeFacts();
    image = pushDerivedImage(pushedImage(), [`CMD ${JSON.stringify(["python", "-u", "-c", BROKEN_SERVER])}`], "ragstar-broken", "node-test");
    deployed = await openTestStack(NAMESPACE, image);
}, 900_000);

afterAll(async () => {
    await deployed?.dispose();
});

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

test("pulumi up fails at the derived create timeout, naming the failing startupProbe, with the pod's events and log lines", async () => {
    const engineOutput: string[] = [];
    const started = Date.now();
    const error = await upWithRolloutDiagnosis(deployed.stack, { onOutput: (text) => engineOutput.push(text) }).then(
        () => { throw new Error("expected the rollout to fail"); },
        (e: Error) => e,
    );
    const elapsed = (Date.now() - started) / 1000;

    const pod = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=ragstar"]).items[0];
    const container = pod.spec.containers[0];
    const budget = startupBudgetSeconds(container.startupProbe);
    const timeouts = rolloutTimeouts(container, pod.spec.terminationGracePeriodSeconds);
    expect(error).toBeInstanceOf(RolloutFailure);
    const failure = error as RolloutFailure;
    process.stdout.write(
        `broken rollout: up failed after ${elapsed.toFixed(1)} s; create timeout ${timeouts.createSeconds} s ` +
            `(startup budget ${budget} s + readiness period ${container.readinessProbe.periodSeconds} s + margin); the provider's default is 600 s\n` +
            `engine error (tail):\n${failure.engineMessage.trimEnd().split("\n").slice(-25).join("\n")}\n\n${failure.diagnosis}\n`,
    );

    // The provider's part: a timeout with the pod's conditions, and no probe result of its own.
    expect(failure.engineMessage).toContain("'ragstar' timed out waiting to be Ready");
    // Failed at our timeout (its clock starts once the Deployment is created, after the engine's start
    // and the objects before it), far before the provider's default of 10 minutes.
    expect(elapsed).toBeGreaterThanOrEqual(timeouts.createSeconds);
    expect(elapsed).toBeLessThanOrEqual(timeouts.createSeconds + 45);

    // Our part: the failing probe with its result and spec, the kubelet's events, the service's own output.
    expect(failure.diagnosis).toMatch(/failing probe: startupProbe of container ragstar failed \d+ times, last at \S+: HTTP probe failed with statuscode: 503 \(httpGet http:\/\/<pod IP>:8000\/health, period 5s, timeout 3s, failureThreshold 21\)/);
    expect(failure.diagnosis).toMatch(/Warning Unhealthy \(×\d+\): Startup probe failed: HTTP probe failed with statuscode: 503/);
    expect(failure.diagnosis).toMatch(/Killing.*: Container ragstar failed startup probe, will be restarted/);
    // At most 10 events, oldest first, from the pod's scheduling on (an image already on the node has no Pulling event).
    expect(failure.diagnosis).toMatch(/last (\d|10) events:\n {4}\S+ Normal Scheduled: Successfully assigned ragstar-node-broken\/ragstar-/);
    // The killed instance logged a line per probe (21, and its first line): its last 20 are shown.
    expect(failure.diagnosis).toMatch(/last 20 log lines of container ragstar, previous \(killed\) instance:\n( {4}\S+ - - \[[^\]]+\] "GET \/health HTTP\/1\.1" 503 -\n){20}/);
    expect(failure.diagnosis).toMatch(/last \d+ log lines? of container ragstar:\n/);
    // No secret: neither the registry password nor the stack's admin token.
    expect(failure.diagnosis).not.toContain(process.env.REGISTRY_PASSWORD);
    expect(failure.diagnosis).not.toMatch(/admin_token|dockerconfigjson/);

    // The budget against the kubelet: the first instance was killed no later than the budget after it started.
    const status = pod.status.containerStatuses[0];
    const events = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "events", "--field-selector", `involvedObject.name=${pod.metadata.name}`]).items;
    const firstKill = events.filter((e) => e.reason === "Killing").map((e) => e.firstTimestamp ?? e.eventTime).sort()[0];
    const firstStart = events.filter((e) => e.reason === "Started").map((e) => e.firstTimestamp ?? e.eventTime).sort()[0];
    const scheduled = events.filter((e) => e.reason === "Scheduled").map((e) => e.eventTime ?? e.firstTimestamp)[0];
    process.stdout.write(`pod ${pod.metadata.name}: scheduled ${scheduled}, first start ${firstStart}, first kill ${firstKill} (${seconds(firstStart, firstKill)} s after the start; budget ${budget} s), restarts ${status.restartCount}\n`);
    expect(status.restartCount).toBeGreaterThanOrEqual(1);
    // Event times have whole seconds: allow one for the rounding.
    expect(seconds(firstStart, firstKill)).toBeLessThanOrEqual(budget + 1);
    expect(seconds(firstStart, firstKill)).toBeGreaterThanOrEqual(budget - container.startupProbe.periodSeconds - container.startupProbe.timeoutSeconds - 1);
}, 900_000);
