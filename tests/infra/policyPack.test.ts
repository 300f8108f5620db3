/**
 * The policy pack loads where the Pulumi CLI runs it: from policy/, whose package.json names its
 * dependencies, with ts-node compiling ../infra/review/*.ts and whatever they import. So every
 * module it reaches may use only node built-ins and the pack's own dependencies, at run time
 * (a type-only import is erased). Imports are read with the TypeScript parser (tests/lib/imports.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { builtinModules } from "node:module";
import * as path from "node:path";

import { moduleImports } from "../lib/imports";
import { REPO_ROOT } from "./projectFixture";

const runtimeImports = (file: string) => moduleImports(file);

/** Every file the pack reaches from policy/index.ts, and the packages each one imports. */
function closure(entry: string): Map<string, string[]> {
    const packages = new Map<string, string[]>();
    const pending = [entry];
    while (pending.length > 0) {
        const file = pending.pop()!;
        if (packages.has(file)) continue;
        const imports = runtimeImports(file);
        packages.set(file, imports.filter((specifier) => !specifier.startsWith(".")));
        for (const specifier of imports.filter((s) => s.startsWith("."))) pending.push(`${path.resolve(path.dirname(file), specifier)}.ts`);
    }
    return packages;
}

const packageName = (specifier: string) => (specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]);
const isBuiltin = (specifier: string) => specifier.startsWith("node:") || builtinModules.includes(specifier);

test("the policy pack reaches only infra/review and pure modules, using node built-ins and the pack's dependencies", () => {
    const policyDir = path.join(REPO_ROOT, "policy");
    const reached = closure(path.join(policyDir, "index.ts"));
    const dependencies = Object.keys((JSON.parse(fs.readFileSync(path.join(policyDir, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies);

    const files = [...reached.keys()].map((file) => path.relative(REPO_ROOT, file)).sort();
    expect(files).toEqual(expect.arrayContaining(["policy/index.ts", "infra/review/rules.ts", "infra/review/waivers.ts"]));
    for (const file of files) expect(file).toMatch(/^(policy|infra)\//);
    expect(files.filter((file) => file.startsWith("infra/tools/") || file === "infra/program.ts" || file === "infra/index.ts")).toEqual([]);

    const outside = [...reached].flatMap(([file, specifiers]) =>
        specifiers.filter((s) => !isBuiltin(s) && !dependencies.includes(packageName(s))).map((s) => `${path.relative(REPO_ROOT, file)} imports ${s}`),
    );
    expect(outside).toEqual([]);
    // Only the pack's entry point talks to the engine.
    const pulumi = [...reached].filter(([file, specifiers]) => file !== path.join(policyDir, "index.ts") && specifiers.some((s) => s.startsWith("@pulumi/")));
    expect(pulumi.map(([file]) => path.relative(REPO_ROOT, file))).toEqual([]);
});

test("the import reader sees through type-only imports and finds re-exports", () => {
    const file = path.join(REPO_ROOT, "infra/review/waivers.ts");
    expect(fs.readFileSync(file, "utf8")).toContain('import type { PlainStackConfig } from "../config/stackConfig"');
    expect(runtimeImports(file)).toEqual([]);
    // A re-export is a runtime import too (a file of its own: the repository no longer has one).
    const reexporting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-")), "reexport.ts");
    fs.writeFileSync(reexporting, 'export { parseImageReference, type ImageReference } from "../../imageReference";\n');
    expect(runtimeImports(reexporting)).toContain("../../imageReference");
});
