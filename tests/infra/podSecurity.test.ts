import * as fs from "node:fs";
import * as path from "node:path";

import { readStageFacts } from "../../infra/dockerfile/facts";
import { checkRestricted } from "../../infra/k8s/podSecurity";
import { containerSecurityContext, DEFAULT_RUN_AS_USER, podSecurityContext, userMismatch } from "../../infra/k8s/securityContext";
import { HIGH_UID } from "../../infra/review/waivers";
import { REPO_ROOT } from "./projectFixture";

/** The pod spec shape RagstarApp builds, reduced to what the standard looks at. */
const hardened = () => ({
    securityContext: podSecurityContext(1000),
    containers: [{ name: "ragstar", image: "i", securityContext: containerSecurityContext(1000), ports: [{ containerPort: 8000 }] }],
    volumes: [{ name: "tmp", emptyDir: {} }, { name: "data", persistentVolumeClaim: { claimName: "d" } }],
});

test("the hardened pod passes", () => {
    expect(checkRestricted(hardened())).toEqual([]);
});

test.each<[string, (spec: any) => void]>([
    ["Privilege Escalation", (s) => (s.containers[0].securityContext.allowPrivilegeEscalation = true)],
    ["Privilege Escalation", (s) => delete s.containers[0].securityContext.allowPrivilegeEscalation],
    ["Running as Non-root", (s) => { delete s.securityContext.runAsNonRoot; delete s.containers[0].securityContext.runAsNonRoot; }],
    ["Running as Non-root user", (s) => (s.containers[0].securityContext.runAsUser = 0)],
    ["Running as Non-root user", (s) => (s.securityContext.runAsUser = 0)],
    ["Seccomp", (s) => delete s.securityContext.seccompProfile],
    ["Seccomp", (s) => (s.securityContext.seccompProfile = { type: "Unconfined" })],
    ["Capabilities", (s) => (s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] })],
    ["Capabilities", (s) => (s.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"])],
    ["Privileged Containers", (s) => (s.containers[0].securityContext.privileged = true)],
    ["Host Namespaces", (s) => (s.hostNetwork = true)],
    ["Host Ports", (s) => (s.containers[0].ports[0].hostPort = 8000)],
    ["HostPath Volumes", (s) => s.volumes.push({ name: "h", hostPath: { path: "/" } })],
    ["Volume Types", (s) => s.volumes.push({ name: "n", nfs: { server: "x", path: "/" } })],
    ["Sysctls", (s) => (s.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }])],
    ["/proc Mount Type", (s) => (s.containers[0].securityContext.procMount = "Unmasked")],
    ["AppArmor", (s) => (s.containers[0].securityContext.appArmorProfile = { type: "Unconfined" })],
    ["SELinux", (s) => (s.securityContext.seLinuxOptions = { type: "spc_t" })],
])("breaking %s is caught", (rule, breakIt) => {
    const spec = hardened();
    breakIt(spec);
    expect(checkRestricted(spec).map((v) => v.rule)).toContain(rule);
});

test("adding NET_BIND_SERVICE alone is allowed", () => {
    const spec: any = hardened();
    spec.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"];
    expect(checkRestricted(spec)).toEqual([]);
});

test("init containers are checked too", () => {
    const spec: any = hardened();
    spec.initContainers = [{ name: "init", image: "i", securityContext: { runAsNonRoot: true } }];
    expect(checkRestricted(spec).map((v) => v.path)).toContain("spec.initContainers[0].securityContext.allowPrivilegeEscalation");
});

describe("UID against the Dockerfile's USER", () => {
    test.each([
        ["1000", 1000, undefined],
        ["1000:1000", 1000, undefined],
        ["10001:10001", 10001, undefined],
        ["1000:0", 1000, "has group 0"],
        ["0", 1000, "is root"],
        ["appuser", 1000, "names a user"],
        ["2000", 1000, "runs as UID 2000 but the stack config sets ragstar:runAsUser 1000"],
        [undefined, 1000, "the image sets no USER"],
    ])("USER %s with runAsUser %d", (user, uid, problem) => {
        const result = userMismatch(user, uid);
        if (problem === undefined) expect(result).toBeUndefined();
        else expect(result).toContain(problem);
    });

    test("the package's default UID is the Dockerfile's default USER, below the review threshold", () => {
        // `ARG APP_UID` sets the USER of a plain `docker build`; the program always passes ragstar:runAsUser.
        const facts = readStageFacts(fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8"), "Dockerfile", "runtime");
        expect(facts.user?.value).toBe(`${DEFAULT_RUN_AS_USER}:${DEFAULT_RUN_AS_USER}`);
        expect(userMismatch(facts.user?.value, DEFAULT_RUN_AS_USER)).toBeUndefined();
        expect([DEFAULT_RUN_AS_USER, HIGH_UID]).toEqual([1000, 10000]);
    });
});
