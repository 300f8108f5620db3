import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "./projectFixture";

const tsNode = path.join(REPO_ROOT, "node_modules/.bin/ts-node");
const render = (args: string[]) => spawnSync(tsNode, ["--transpile-only", path.join(REPO_ROOT, "infra/tools/cli/render.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8" });

/** A directory that looks like a project root: what `--out .` would point at. */
function projectRootCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "ragstar.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    fs.writeFileSync(path.join(dir, "notes.yaml"), "mine: true\n");
    return dir;
}

const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));

const MANIFEST = ".ragstar-render.json";
const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
const manifestOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8")) as { stacks: Record<string, Record<string, string>> };
/** Pretend an earlier render of `stack` wrote `name` with `text` (an object that no longer exists). */
function addStaleEntry(dir: string, stack: string, name: string, text: string): void {
    const manifest = manifestOf(dir);
    manifest.stacks[stack][name] = sha256(text);
    fs.writeFileSync(path.join(dir, MANIFEST), JSON.stringify(manifest));
    fs.writeFileSync(path.join(dir, name), text);
}
const STALE = "# stack prod: 1 object rendered by RAGstar deploy without the Pulumi engine.\n# The image is the digest-pinned ragstar:image.ref of the stack file. Secrets print as [secret].\nkind: ConfigMap\n";

test("--out into a directory holding other YAML deletes none of it, and removes only stale files it wrote", () => {
    const dir = projectRootCopy();
    const before = contents(dir);
    expect(render(["--stack", "prod", "--out", dir]).status).toBe(0);
    expect(manifestOf(dir).stacks.prod["deployment-ragstar.yaml"]).toBe(sha256(fs.readFileSync(path.join(dir, "deployment-ragstar.yaml"), "utf8")));
    addStaleEntry(dir, "prod", "configmap-ragstar-config-0000000000.yaml", STALE);
    // Same header, but not in the manifest: not the render's, so not removed.
    fs.writeFileSync(path.join(dir, "configmap-ragstar-config-1111111111.yaml"), STALE);
    const result = render(["--stack", "prod", "--out", dir]);
    expect(result.status).toBe(0);
    const after = contents(dir);
    for (const [file, text] of Object.entries(before)) expect(after[file]).toBe(text);
    expect(after).not.toHaveProperty(["configmap-ragstar-config-0000000000.yaml"]);
    expect(after["configmap-ragstar-config-1111111111.yaml"]).toBe(STALE);
    expect(Object.keys(manifestOf(dir).stacks.prod)).not.toContain("configmap-ragstar-config-0000000000.yaml");
    expect(after["deployment-ragstar.yaml"]).toContain("kind: Deployment");
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
});

test("a file saved from the render's stdout is not taken for the render's own and survives --out", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    const printed = render(["--stack", "dev"]);
    expect(printed.status).toBe(0);
    fs.writeFileSync(path.join(dir, "dev-all.yaml"), printed.stdout);
    const result = render(["--stack", "dev", "--out", dir]);
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "dev-all.yaml"), "utf8")).toBe(printed.stdout);
});

test("rendering another stack into a directory leaves the first stack's files as they are", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    expect(render(["--stack", "dev", "--out", dir]).status).toBe(0);
    const devFiles = contents(dir);
    const result = render(["--stack", "prod", "--out", dir]);
    const after = contents(dir);
    for (const [file, text] of Object.entries(devFiles)) if (file !== MANIFEST) expect(after[file]).toBe(text);
    if (result.status !== 0) {
        expect(result.stderr.trim().split("\n").filter((l) => l.startsWith("error: "))).toHaveLength(1);
        expect(result.stderr).toMatch(/error: .*written by the render of stack dev/);
        expect(after).toEqual(devFiles);
    }
});

test("a stale file the user edited is kept and reported", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    expect(render(["--stack", "prod", "--out", dir]).status).toBe(0);
    addStaleEntry(dir, "prod", "configmap-ragstar-config-0000000000.yaml", STALE);
    const edited = `${STALE}# my note\n`;
    fs.writeFileSync(path.join(dir, "configmap-ragstar-config-0000000000.yaml"), edited);
    const result = render(["--stack", "prod", "--out", dir]);
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, "configmap-ragstar-config-0000000000.yaml"), "utf8")).toBe(edited);
    expect(result.stderr).toContain(`kept ${path.join(dir, "configmap-ragstar-config-0000000000.yaml")}: no longer rendered, but edited since the render wrote it`);
});

test("--out refuses to overwrite a file it did not write, with one line, and changes nothing", () => {
    const dir = projectRootCopy();
    fs.writeFileSync(path.join(dir, "service-ragstar.yaml"), "# my hand-written service\nkind: Service\n");
    const before = contents(dir);
    const result = render(["--stack", "prod", "--out", dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: ${path.join(dir, "service-ragstar.yaml")}: not written by render (not listed in .ragstar-render.json); move it away or choose another --out directory`);
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
