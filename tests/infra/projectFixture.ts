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

/** The committed staging and prod turn signature verification on; this is the block, comment included. */
const SUPPLY_CHAIN_BLOCK = /^ {2}# Deploy only digests signed[^\n]*\n(?: {2}#[^\n]*\n)* {2}ragstar:supplyChain:\n(?: {4}[^\n]*\n)+/m;

/**
 * A committed stack file's text without its `ragstar:supplyChain` block, for tests of promotion's
 * file edits and registry check against a fake registry, where cosign has nothing to verify
 * (tests/supplyChain judges verification against a real one).
 *
 * @throws Error when the stack file has no such block (the committed layout changed)
 */
export function committedStackWithoutVerification(stack: string): string {
    const text = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
    if (stack === "dev") return text;
    if (!SUPPLY_CHAIN_BLOCK.test(text)) throw new Error(`Pulumi.${stack}.yaml has no ragstar:supplyChain block to remove`);
    return text.replace(SUPPLY_CHAIN_BLOCK, "");
}
