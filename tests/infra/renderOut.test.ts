import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "./projectFixture";

const tsNode = path.join(REPO_ROOT, "node_modules/.bin/ts-node");
const render = (args: string[]) => spawnSync(tsNode, ["--transpile-only", path.join(REPO_ROOT, "infra/cli/render.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8" });

/** A directory that looks like a project root: what `--out .` would point at. */
function projectRootCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "ragstar.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    fs.writeFileSync(path.join(dir, "notes.yaml"), "mine: true\n");
    return dir;
}

const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));

test("--out into a directory holding other YAML deletes none of it, and removes only stale files it wrote", () => {
    const dir = projectRootCopy();
    const before = contents(dir);
    // A file an earlier render wrote for an object that no longer exists.
    const stale = "# stack prod: 1 object rendered by RAGstar deploy without the Pulumi engine.\n# The image is the digest-pinned ragstar:image.ref of the stack file. Secrets print as [secret].\nkind: ConfigMap\n";
    fs.writeFileSync(path.join(dir, "configmap-ragstar-config-0000000000.yaml"), stale);
    const result = render(["--stack", "prod", "--out", dir]);
    expect(result.status).toBe(0);
    const after = contents(dir);
    for (const [file, text] of Object.entries(before)) expect(after[file]).toBe(text);
    expect(after).not.toHaveProperty(["configmap-ragstar-config-0000000000.yaml"]);
    expect(after["deployment-ragstar.yaml"]).toContain("kind: Deployment");
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
});

test("--out refuses to overwrite a file it did not write, with one line, and changes nothing", () => {
    const dir = projectRootCopy();
    fs.writeFileSync(path.join(dir, "service-ragstar.yaml"), "# my hand-written service\nkind: Service\n");
    const before = contents(dir);
    const result = render(["--stack", "prod", "--out", dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: ${path.join(dir, "service-ragstar.yaml")}: not written by render (no render header); move it away or choose another --out directory`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(contents(dir)).toEqual(before);
});

test("--out naming a file is one line, not a stack trace, and the file is untouched", () => {
    const dir = projectRootCopy();
    const file = path.join(dir, "Pulumi.yaml");
    const before = fs.readFileSync(file, "utf8");
    const result = render(["--stack", "prod", "--out", file]);
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe(`--out ${file}: is a file; --out names a directory`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
});
