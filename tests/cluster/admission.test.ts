import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { stringify } from "yaml";

import { checkRestricted } from "../../infra/k8s/podSecurity";
import { renderStack } from "../../infra/tools/render/render";
import { evaluatePolicy } from "../../infra/review/rules";
import { REPO_ROOT } from "../infra/projectFixture";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const bin = process.env.KUBE_BIN;
    if (!bin || !process.env.KUBECONFIG) throw new Error("KUBE_BIN and KUBECONFIG are not set: run through scripts/with-cluster (scripts/test does)");
    const result = spawnSync(path.join(bin, "kubectl"), args, { input, encoding: "utf8", timeout: 120_000 });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

const stacks = fs.readdirSync(path.join(REPO_ROOT, "rendered"));

describe.each(stacks)("rendered/%s under a real API server", (stack) => {
    test("every object is accepted by server-side apply, with no warning (Pod Security 'restricted' included)", async () => {
        const render = await renderStack(stack);
        for (const object of render.objects) {
            const result = kubectl(["apply", "--server-side", "--field-manager", "ragstar-test", "-f", "-"], stringify(object));
            expect({ object: `${object.kind}/${object.metadata.name}`, code: result.code, stderr: result.stderr }).toEqual({ object: `${object.kind}/${object.metadata.name}`, code: 0, stderr: "" });
        }
        const namespace = render.objects.find((o) => o.kind === "Namespace") as KubernetesObject;
        const labels = JSON.parse(kubectl(["get", "namespace", namespace.metadata.name, "-o", "jsonpath={.metadata.labels}"]).stdout);
        expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });
});

describe("the two judges agree: Pod Security admission and this package's checks", () => {
    let template: { metadata: Record<string, any>; spec: Record<string, any> };
    const namespace = "ragstar-dev";

    beforeAll(async () => {
        const render = await renderStack("dev");
        const deployment = render.objects.find((o) => o.kind === "Deployment") as any;
        template = deployment.spec.template;
    });

    const pod = (name: string, breakIt: (spec: any) => void) => {
        const spec = JSON.parse(JSON.stringify(template.spec));
        breakIt(spec);
        return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels: template.metadata.labels }, spec };
    };

    test("the unbroken pod is admitted, and the checks pass it", () => {
        const object = pod("ragstar-ok", () => undefined);
        expect(checkRestricted(object.spec)).toEqual([]);
        const result = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(object));
        expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    });

    test.each<[string, (spec: any) => void]>([
        ["Privilege Escalation", (s) => (s.containers[0].securityContext.allowPrivilegeEscalation = true)],
        ["Running as Non-root", (s) => { delete s.securityContext.runAsNonRoot; delete s.containers[0].securityContext.runAsNonRoot; }],
        ["Running as Non-root user", (s) => (s.containers[0].securityContext.runAsUser = 0)],
        ["Seccomp", (s) => { delete s.securityContext.seccompProfile; }],
        ["Seccomp", (s) => (s.securityContext.seccompProfile = { type: "Unconfined" })],
        ["Capabilities", (s) => (s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] })],
        ["Capabilities", (s) => (s.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"])],
        ["Privileged Containers", (s) => { s.containers[0].securityContext.privileged = true; s.containers[0].securityContext.allowPrivilegeEscalation = true; }],
        ["Host Namespaces", (s) => (s.hostNetwork = true)],
        ["Host Ports", (s) => (s.containers[0].ports[0].hostPort = 8000)],
        ["HostPath Volumes", (s) => s.volumes.push({ name: "host", hostPath: { path: "/" } })],
        ["Volume Types", (s) => s.volumes.push({ name: "nfs", nfs: { server: "nfs.example.com", path: "/" } })],
        ["Sysctls", (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }])],
        ["AppArmor", (s) => (s.containers[0].securityContext.appArmorProfile = { type: "Unconfined" })],
        ["SELinux", (s) => (s.securityContext.seLinuxOptions = { type: "spc_t" })],
    ])("breaking %s: admission refuses the pod and the checks flag the same rule", (rule, breakIt) => {
        const object = pod(`ragstar-broken-${rule.toLowerCase().replace(/[^a-z]+/g, "-")}`, breakIt);
        const ours = checkRestricted(object.spec).map((v) => v.rule);
        expect(ours).toContain(rule);
        expect(evaluatePolicy([object]).filter((v) => v.enforcement === "mandatory").map((v) => v.rule)).toContain("pod-security-restricted");
        const result = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(object));
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
    });
});
