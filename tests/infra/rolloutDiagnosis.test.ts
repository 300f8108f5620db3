/**
 * The diagnosis of a failed rollout (infra/tools/engine/rolloutDiagnosis.ts), on the pod, events
 * and logs read from the real node during a broken rollout (tests/infra/fixtures/brokenRollout.json),
 * and on hand-made variations of it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { describeProbe, eventCount, eventTime, failingProbes, rolloutDiagnosis, type EventJson, type PodFacts } from "../../infra/tools/engine/rolloutDiagnosis";

const fixture: { pods: PodFacts[] } = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/brokenRollout.json"), "utf8"));
const facts = fixture.pods[0];
const clone = (): PodFacts => JSON.parse(JSON.stringify(facts));

test("the real broken rollout: the failing startupProbe with its result and spec, the states, the last 10 events, both log tails", () => {
    const lines = rolloutDiagnosis("ragstar-node-broken/ragstar", [facts]);
    expect(lines.slice(0, 4)).toEqual([
        "rollout diagnosis of Deployment ragstar-node-broken/ragstar: 1 pod",
        "pod ragstar-7dff77fbc5-zjms5: phase Running, node ragstar-node-11e699, Ready False (containers with unready status: [ragstar])",
        "  container ragstar: running since 2026-12-01T21:13:14Z, not started (startupProbe not passed), ready false, restarts 1; last terminated 2026-12-01T21:13:14Z: Completed, exit code 0",
        "  failing probe: startupProbe of container ragstar failed 19 times, last at 2026-12-01T21:13:04Z: HTTP probe failed with statuscode: 503 (httpGet http://<pod IP>:8000/health, period 5s, timeout 3s, failureThreshold 21)",
    ]);
    const text = lines.join("\n");
    // 9 events, all shown, oldest first; the kill and the probe failures among them.
    expect(text).toContain("  last 9 events:\n    2026-12-01T21:11:28.781830Z Normal Scheduled: Successfully assigned ragstar-node-broken/ragstar-7dff77fbc5-zjms5 to ragstar-node-11e699\n");
    expect(text).toContain("    2026-12-01T21:13:04Z Warning Unhealthy (×19): Startup probe failed: HTTP probe failed with statuscode: 503\n");
    expect(text).toContain("    2026-12-01T21:13:14Z Normal Killing: Container ragstar failed startup probe, will be restarted\n");
    // The killed instance's last 20 lines (it logged 21), then the current instance's 5 lines.
    const previous = lines.indexOf("  last 20 log lines of container ragstar, previous (killed) instance:");
    expect(previous).toBeGreaterThan(0);
    expect(lines.slice(previous + 1, previous + 21).every((l) => /^ {4}10\.244\.17\.1 - - \[01\/Dec\/2026 [\d:]+\] "GET \/health HTTP\/1\.1" 503 -$/.test(l))).toBe(true);
    expect(lines.slice(previous + 21)).toEqual([
        "  last 5 log lines of container ragstar:",
        "    broken on purpose: every request gets 503 (tests/node/brokenRollout.test.ts)",
        '    10.244.17.1 - - [01/Dec/2026 21:13:19] "GET /health HTTP/1.1" 503 -',
        '    10.244.17.1 - - [01/Dec/2026 21:13:24] "GET /health HTTP/1.1" 503 -',
        '    10.244.17.1 - - [01/Dec/2026 21:13:29] "GET /health HTTP/1.1" 503 -',
        '    10.244.17.1 - - [01/Dec/2026 21:13:34] "GET /health HTTP/1.1" 503 -',
    ]);
});

test("limits: only the last N events and log lines", () => {
    const lines = rolloutDiagnosis("ns/ragstar", [facts], { events: 2, logLines: 3 });
    const at = lines.indexOf("  last 2 events:");
    expect(lines.slice(at + 1, at + 3)).toEqual([
        "    2026-12-01T21:13:14Z Normal Killing: Container ragstar failed startup probe, will be restarted",
        '    2026-12-01T21:13:14Z Normal Pulled: Container image "127.0.0.1:5003/ragstar-broken@sha256:6d1cb77c0f7c27d6bee674a318922a3ae43b7d78cc5598b7e55100422f20f886" already present on machine',
    ]);
    expect(lines.filter((l) => /^ {2}last \d+ log lines/.test(l))).toEqual([
        "  last 3 log lines of container ragstar, previous (killed) instance:",
        "  last 3 log lines of container ragstar:",
    ]);
});

test("several failing probes: the newest first, the others as 'also', counts summed per probe", () => {
    const f = clone();
    const unhealthy = f.events.find((e) => e.reason === "Unhealthy")!;
    f.events.push(
        { ...unhealthy, message: "Liveness probe failed: Get \"http://10.0.0.5:8000/health\": context deadline exceeded", count: 3, lastTimestamp: "2026-12-01T21:20:00Z" },
        { ...unhealthy, message: "Startup probe failed: HTTP probe failed with statuscode: 500", count: 2, lastTimestamp: "2026-12-01T21:14:00Z" },
    );
    expect(failingProbes(f)).toEqual([
        'livenessProbe of container ragstar failed 3 times, last at 2026-12-01T21:20:00Z: Get "http://10.0.0.5:8000/health": context deadline exceeded (httpGet http://<pod IP>:8000/health, period 33s, timeout 3s, failureThreshold 3)',
        "startupProbe of container ragstar failed 21 times, last at 2026-12-01T21:14:00Z: HTTP probe failed with statuscode: 500 (httpGet http://<pod IP>:8000/health, period 5s, timeout 3s, failureThreshold 21)",
    ]);
    expect(rolloutDiagnosis("ns/ragstar", [f]).filter((l) => l.startsWith("  failing probe") || l.startsWith("  also"))).toEqual([
        expect.stringMatching(/^ {2}failing probe: livenessProbe/),
        expect.stringMatching(/^ {2}also: startupProbe .* failed 21 times/),
    ]);
});

test("a pod that never got to its probes (image pull failure): says so, shows the waiting reason and the unreadable log", () => {
    const f = clone();
    f.events = [{ type: "Warning", reason: "Failed", message: "Failed to pull image \"r/x@sha256:00\": 401 Unauthorized", count: 4, lastTimestamp: "2026-12-01T21:00:05Z", involvedObject: { kind: "Pod", fieldPath: "spec.containers{ragstar}" } }];
    f.pod.status.containerStatuses = [{ name: "ragstar", ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } } }];
    f.logs = [{ container: "ragstar", previous: false, text: null, error: 'container "ragstar" in pod "p" is waiting to start: trying and failing to pull image' }];
    const lines = rolloutDiagnosis("ns/ragstar", [f]);
    expect(lines).toContain("  container ragstar: waiting: ImagePullBackOff (Back-off pulling image), ready false, restarts 0");
    expect(lines).toContain("  failing probe: none reported (no Unhealthy event): the container did not get to its probes; see the events");
    expect(lines).toContain("    2026-12-01T21:00:05Z Warning Failed (×4): Failed to pull image \"r/x@sha256:00\": 401 Unauthorized");
    expect(lines).toContain('  no log of container ragstar: container "ragstar" in pod "p" is waiting to start: trying and failing to pull image');
});

test("no pods at all: one line pointing at the Deployment", () => {
    expect(rolloutDiagnosis("ns/ragstar", [])).toEqual(["rollout diagnosis of Deployment ns/ragstar: no pods (see the Deployment's and ReplicaSet's events: kubectl describe deployment)"]);
});

test("event time and count: series (events.k8s.io) over lastTimestamp over eventTime; count at least 1", () => {
    const base: EventJson = { lastTimestamp: "2026-01-01T00:00:02Z", eventTime: "2026-01-01T00:00:01.5Z", count: 4 };
    expect(eventTime(base)).toBe("2026-01-01T00:00:02Z");
    expect(eventTime({ ...base, series: { count: 9, lastObservedTime: "2026-01-01T00:00:09Z" } })).toBe("2026-01-01T00:00:09Z");
    expect(eventTime({ eventTime: "2026-01-01T00:00:01.5Z", lastTimestamp: null })).toBe("2026-01-01T00:00:01.5Z");
    expect(eventCount({ ...base, series: { count: 9 } })).toBe(9);
    expect(eventCount({})).toBe(1);
});

test("probe descriptions: exec, tcpSocket and an initial delay; Kubernetes' defaults where unset", () => {
    expect(describeProbe({ exec: { command: ["python", "-c", "x"] }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 4, initialDelaySeconds: 7 })).toBe('exec ["python","-c","x"], initialDelay 7s, period 5s, timeout 2s, failureThreshold 4');
    expect(describeProbe({ tcpSocket: { port: 8000 } })).toBe("tcpSocket :8000, period 10s, timeout 1s, failureThreshold 3");
});

test("prints no environment, volume or Secret of the pod, even when the pod JSON has them", () => {
    const f = clone();
    f.pod.spec.containers[0].env = [{ name: "RAGSTAR_ADMIN_TOKEN", value: "s3cret-value" }];
    f.pod.spec.imagePullSecrets = [{ name: "ragstar-registry" }];
    f.pod.spec.volumes = [{ name: "secrets", secret: { secretName: "ragstar-secrets" } }];
    const text = rolloutDiagnosis("ns/ragstar", [f]).join("\n");
    expect(text).not.toMatch(/s3cret-value|RAGSTAR_ADMIN_TOKEN|ragstar-registry|ragstar-secrets/);
});
