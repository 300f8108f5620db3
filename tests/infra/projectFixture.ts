import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseDocument } from "yaml";

import { ROOT_DIR } from "../../infra/paths";

/** Repository root (infra/paths.ts is its one home). */
export const REPO_ROOT = ROOT_DIR;

/**
 * A throwaway copy of the files the program reads (Dockerfile, ragstar.yaml, the service's
 * config schema, pyproject.toml) with one stack file, so a test can change any of them.
 */
export function projectWith(stack: string, stackYaml: string, files: Record<string, string> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-render-"));
    for (const file of ["Dockerfile", "ragstar.yaml", "src/ragstar/config.schema.json", "pyproject.toml"]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, file), path.join(dir, file));
    }
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackYaml);
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    return dir;
}

/** The dev stack file with extra lines appended under `config:`. */
export function devStackWith(extraConfigLines: string): string {
    return `${fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8").trimEnd()}\n${extraConfigLines}`;
}

/** The dev stack file with whole `config` keys replaced (or added), e.g. `{"ragstar:app": {log_level: "warning"}}`. */
export function devStackSetting(settings: Record<string, unknown>): string {
    const document = parseDocument(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
    for (const [key, value] of Object.entries(settings)) document.setIn(["config", key], value);
    return document.toString();
}

/** Config lines holding a "billion laughs" alias bomb under `ragstar:laughs`: 9 levels of 9 aliases each (9^9 nodes if expanded). */
export const ALIAS_BOMB = (() => {
    const lines = ["  ragstar:laughs:", "    a: &a [x, x, x, x, x, x, x, x, x]"];
    let previous = "a";
    for (const name of "bcdefghi") {
        lines.push(`    ${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
        previous = name;
    }
    return `${lines.join("\n")}\n`;
})();
