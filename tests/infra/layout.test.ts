/**
 * The layout's import rules (README "Layout"): the Pulumi program and its derivations under
 * infra/ never import the tools around them (infra/tools/), the review rules import only pure
 * modules, and the policy pack imports from infra/review/ only, never the other way.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { moduleImports } from "../lib/imports";
import { REPO_ROOT } from "./projectFixture";


function tsFiles(dir: string): string[] {
    return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "node_modules" ? [] : tsFiles(rel);
        return entry.name.endsWith(".ts") ? [rel] : [];
    });
}

/** Every relative import of a file, type-only ones included, as a repository-relative path without extension. */
function relativeImports(file: string): string[] {
    return moduleImports(path.join(REPO_ROOT, file), { types: true })
        .filter((specifier) => specifier.startsWith("."))
        .map((specifier) => path.join(path.dirname(file), specifier));
}

function violations(files: string[], forbidden: (target: string) => boolean): string[] {
    return files.flatMap((file) => relativeImports(file).filter(forbidden).map((target) => `${file} imports ${target}`));
}

const inside = (dir: string) => (target: string) => target === dir || target.startsWith(dir + "/");

describe("layout", () => {
    const program = tsFiles("infra").filter((f) => !inside("infra/tools")(f));

    it("finds the program, the tools, the review rules and the policy pack", () => {
        expect(program).toEqual(expect.arrayContaining(["infra/index.ts", "infra/program.ts", "infra/review/rules.ts"]));
        expect(tsFiles("infra/tools")).toEqual(expect.arrayContaining(["infra/tools/cli/render.ts", "infra/tools/render/render.ts"]));
    });

    it("keeps the program free of the tools", () => {
        expect(violations(program, inside("infra/tools"))).toEqual([]);
    });

    it("keeps the review rules pure: no program, no tools, no Pulumi", () => {
        const review = tsFiles("infra/review");
        expect(violations(review, (t) => inside("infra/tools")(t) || t === "infra/program" || t === "infra/index" || inside("policy")(t))).toEqual([]);
        for (const file of review) expect(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")).not.toMatch(/from "@pulumi\//);
    });

    it("lets the policy pack import infra/review only, and nothing import the policy pack", () => {
        expect(violations(tsFiles("policy"), (t) => !inside("policy")(t) && !inside("infra/review")(t))).toEqual([]);
        expect(violations([...tsFiles("infra"), ...tsFiles("tests")], inside("policy"))).toEqual([]);
    });

    it("sees imports across folders (the tests do import the tools)", () => {
        expect(violations(["tests/infra/render.test.ts"], inside("infra/tools"))).toContain("tests/infra/render.test.ts imports infra/tools/render/render");
    });
    it("lists every module of a folder in that folder's README, and no module that is gone", () => {
        const readmes = fs.readdirSync(path.join(REPO_ROOT, "infra"), { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === "README.md").map((f) => path.join("infra", f));
        expect(readmes).toEqual(expect.arrayContaining(["infra/README.md", "infra/k8s/README.md", "infra/tools/README.md"]));
        const readmeDirs = readmes.map((f) => path.dirname(f));
        for (const readme of readmes) {
            const dir = path.dirname(readme);
            // A README covers its folder's modules, down to (not into) subfolders with their own README.
            const owned = tsFiles(dir).filter((f) => !readmeDirs.some((d) => d !== dir && inside(d)(f) && inside(dir)(d))).map((f) => path.relative(dir, f));
            const listed = [...fs.readFileSync(path.join(REPO_ROOT, readme), "utf8").matchAll(/^- `([\w/]+\.ts)`/gm)].map((m) => m[1]);
            expect({ readme, modules: [...listed].sort() }).toEqual({ readme, modules: [...owned].sort() });
        }
    });
});
