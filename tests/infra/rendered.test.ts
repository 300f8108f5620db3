import * as fs from "node:fs";
import * as path from "node:path";

import { MANIFEST, sha256 } from "../../infra/tools/render/outDir";
import { objectFiles, renderStack } from "../../infra/tools/render/render";
import { REPO_ROOT } from "./projectFixture";

const stacks = fs.readdirSync(REPO_ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);
const REFRESH = "rendered/ is stale: run `npm run --silent render -- --all --out rendered/` and commit the result";

test("every stack has a committed render", () => {
    expect(fs.readdirSync(path.join(REPO_ROOT, "rendered")).sort()).toEqual([...stacks].sort());
});

describe.each(stacks)("rendered/%s", (stack) => {
    test("matches what the program renders now, file for file", async () => {
        const expected = objectFiles(await renderStack(stack));
        const dir = path.join(REPO_ROOT, "rendered", stack);
        const committed = Object.fromEntries(fs.readdirSync(dir).filter((f) => f !== MANIFEST).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
        const stale = [...new Set([...Object.keys(committed), ...Object.keys(expected)])].filter((file) => committed[file] !== expected[file]).sort();
        if (stale.length > 0) throw new Error(`${REFRESH}\n${stale.map((f) => `  rendered/${stack}/${f}: ${f in committed ? (f in expected ? "differs" : "no longer rendered") : "missing"}`).join("\n")}`);
    });

    test("has the manifest a re-render needs to know its own files", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "rendered", stack, MANIFEST), "utf8"));
        const dir = path.join(REPO_ROOT, "rendered", stack);
        const files = fs.readdirSync(dir).filter((f) => f !== MANIFEST).sort();
        expect(manifest.stacks).toEqual({ [stack]: Object.fromEntries(files.map((f) => [f, sha256(fs.readFileSync(path.join(dir, f), "utf8"))])) });
    });

    test("holds no secret values", () => {
        const dir = path.join(REPO_ROOT, "rendered", stack);
        for (const file of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, file), "utf8")).not.toMatch(/secure:|v1:[A-Za-z0-9+/=]{8,}/);
    });
});
