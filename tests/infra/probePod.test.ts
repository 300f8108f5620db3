import * as fs from "node:fs";
import * as path from "node:path";

import { komposeLiveness, probePod, variantProbes, withHealthcheckFlag } from "../../infra/tools/node/probePod";
import { REPO_ROOT } from "./projectFixture";

const FIXTURE = path.join(REPO_ROOT, "tests/image/fixtures/healthswitch/Dockerfile");
const text = fs.readFileSync(FIXTURE, "utf8");
const S = 1_000_000_000n;
const exec = { exec: { command: ["/healthswitch", "check"] } };

describe("withHealthcheckFlag", () => {
    test("inserts the flag after the keyword of the one HEALTHCHECK line", () => {
        expect(withHealthcheckFlag("FROM scratch\nHEALTHCHECK --interval=2s CMD [\"x\"]\n", "--start-interval=1s")).toBe("FROM scratch\nHEALTHCHECK --start-interval=1s --interval=2s CMD [\"x\"]\n");
    });
    test("refuses a text with no HEALTHCHECK, or two", () => {
        expect(() => withHealthcheckFlag("FROM scratch\n", "--x")).toThrow("expected one HEALTHCHECK line, found 0");
        expect(() => withHealthcheckFlag("HEALTHCHECK NONE\nHEALTHCHECK NONE\n", "--x")).toThrow("expected one HEALTHCHECK line, found 2");
    });
});

describe("variantProbes on the health-switch fixture (I 2 s, T 1 s, S 3 s, R 2)", () => {
    test("derived: the package's mapping, startup period sec(SI) = 5 s (Docker's default start interval)", () => {
        const { probes, check } = variantProbes("derived", text, FIXTURE);
        expect(check).toEqual({ intervalNs: 2n * S, timeoutNs: S, startPeriodNs: 3n * S, startIntervalNs: 5n * S, retries: 2 });
        expect(probes.startupProbe).toEqual({ ...exec, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 });
        expect(probes.livenessProbe).toEqual({ ...exec, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1 });
        expect(probes.readinessProbe).toEqual({ ...exec, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1 });
    });
    test("start-interval-1s: startup period 1 s, failureThreshold 1 + ceil(9 s / 1 s) = 10; liveness and readiness unchanged", () => {
        const { probes, check } = variantProbes("start-interval-1s", text, FIXTURE);
        expect(check.startIntervalNs).toBe(S);
        expect(probes.startupProbe).toEqual({ ...exec, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 10, successThreshold: 1 });
        expect(probes.livenessProbe).toEqual(variantProbes("derived", text, FIXTURE).probes.livenessProbe);
    });
    test("kompose: a livenessProbe only, interval, timeout, retries and the start period as initialDelaySeconds", () => {
        expect(variantProbes("kompose", text, FIXTURE).probes).toEqual({
            livenessProbe: { ...exec, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1, initialDelaySeconds: 3 },
        });
    });
});

test("komposeLiveness rounds up to whole seconds and leaves no initial delay without a start period", () => {
    const probe = komposeLiveness({ intervalNs: 1_500_000_000n, timeoutNs: 200_000_000n, startPeriodNs: 0n, startIntervalNs: 5n * S, retries: 4 }, exec);
    expect(probe).toEqual({ ...exec, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 4, successThreshold: 1, initialDelaySeconds: 0 });
});

test("probePod: the hardened pod on the real node, pulled with the Secret, the probes on the container", () => {
    const probes = variantProbes("derived", text, FIXTURE).probes;
    const pod = probePod({ name: "hs", namespace: "ns", image: "r/hs@sha256:00", pullSecret: "pull", nodeName: "node-1", serveArgs: ["--mode=fail"], probes, uid: 1000 }) as any;
    expect(pod.spec.nodeSelector).toEqual({ "kubernetes.io/hostname": "node-1" });
    expect(pod.spec.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
    const [container] = pod.spec.containers;
    expect(container.args).toEqual(["--mode=fail"]);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(container.startupProbe).toEqual(probes.startupProbe);
    expect(container.readinessProbe).toEqual(probes.readinessProbe);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
});
