import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { readStackFile } from "../../infra/tools/render/stackFile";
import { placeholderDigest } from "../../infra/tools/render/render";
import { REPO_ROOT } from "./projectFixture";
import { programLocation, readProjectFile, runLikeLanguageHost } from "./languageHost";

// The dev stack builds: the stand-in monitor answers the docker.Image with a digest, as a push would.
const withDigest = (type: string, inputs: Record<string, unknown>) =>
    type === "docker:index/image:Image" ? { ...inputs, repoDigest: placeholderDigest(String(inputs.imageName)) } : inputs;
const devConfig = () => readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "ragstar").config;

test("Pulumi.yaml: main is infra/, so the language host runs the program from infra/", () => {
    const project = readProjectFile(REPO_ROOT);
    expect(programLocation(REPO_ROOT, project.main)).toEqual({ programDirectory: path.join(REPO_ROOT, "infra"), entryPoint: "." });
    // The tsconfig option is resolved from that directory, not from the project root.
    const tsconfig = project.runtime.options.tsconfig;
    expect(typeof tsconfig).toBe("string");
    expect(fs.existsSync(path.resolve(REPO_ROOT, "infra", tsconfig as string))).toBe(true);
});

test("pulumi preview of dev through the SDK's cmd/run, as the language host starts it, loads the program and registers every resource", async () => {
    const run = await runLikeLanguageHost(REPO_ROOT, "dev", devConfig(), withDigest);
    expect(run.logs.join("\n")).not.toContain("tsconfig path was set");
    expect(run.exitCode).toBe(0);
    expect(run.registrations.map((r) => r.type).sort()).toEqual([
        "docker:index/image:Image",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "pulumi:pulumi:Stack",
        "ragstar:index:RagstarApp",
    ]);
}, 120_000);

test("the harness catches a tsconfig option the language host cannot find (the released Pulumi.yaml's bug)", async () => {
    // A copy of the project whose Pulumi.yaml names tsconfig.pulumi.json relative to the root, as it used to.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-langhost-"));
    for (const entry of ["infra", "src", "node_modules", "Dockerfile", "ragstar.yaml", "pyproject.toml", "package.json", "tsconfig.json", "tsconfig.pulumi.json"]) {
        fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
    }
    const projectFile = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8").replace(/^(\s+tsconfig:).*$/m, "$1 tsconfig.pulumi.json");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectFile);
    const run = await runLikeLanguageHost(dir, "dev", devConfig(), withDigest);
    expect(run.exitCode).not.toBe(0);
    expect(run.logs.join("\n")).toContain("tsconfig path was set to tsconfig.pulumi.json but the file was not found");
    expect(run.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
}, 120_000);
