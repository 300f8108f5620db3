/**
 * The SBOM of a pushed image, by syft (github.com/anchore/syft) reading it from the registry by
 * digest (`syft scan registry:REF`), never from a local engine: what is described is what the
 * registry serves. Output: SPDX 2.3 JSON. Registry credentials travel as in cosign.ts (a client
 * config of the call's own); syft's update check is off (`SYFT_CHECK_FOR_APP_UPDATE=false`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

import { parseImageReference } from "../imageReference";
import { isLoopbackHost } from "../loopback";
import type { SpdxDocument } from "./cosign";
import { privateClientConfig, type RegistryLogins } from "./registryAuth";

/** The syft binary: `SYFT` (scripts/with-supply-chain sets it), else `syft` on PATH. */
export function syftBinary(env: NodeJS.ProcessEnv = process.env): string {
    return env.SYFT || "syft";
}

/**
 * Write the SPDX JSON SBOM of `ref` (digest-pinned) to `outFile`.
 *
 * @param timeoutMs the whole scan, milliseconds
 * @returns the document written
 * @throws Error with syft's last line on failure
 */
export function generateSbom(ref: string, outFile: string, logins: RegistryLogins, timeoutMs = 600_000): SpdxDocument {
    const registry = parseImageReference(ref).registry;
    const config = privateClientConfig(logins);
    try {
        const run = spawnSync(syftBinary(), ["scan", `registry:${ref}`, "--output", `spdx-json=${outFile}`, "--quiet"], {
            encoding: "utf8",
            timeout: timeoutMs,
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                ...config.env,
                SYFT_CHECK_FOR_APP_UPDATE: "false",
                // Loopback registries speak plain HTTP (as Docker assumes there).
                ...(isLoopbackHost(registry.replace(/:\d+$/, "")) ? { SYFT_REGISTRY_INSECURE_USE_HTTP: "true" } : {}),
            },
        });
        if (run.error) throw new Error(`syft could not run (${syftBinary()}): ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}`);
        if (run.status !== 0) {
            const last = run.stderr.split("\n").map((l) => l.trim()).filter(Boolean).pop();
            throw new Error(`syft scan ${ref} failed: ${last ?? `exit status ${run.status}`}`);
        }
    } finally {
        config.dispose();
    }
    return JSON.parse(fs.readFileSync(outFile, "utf8")) as SpdxDocument;
}

/** A package an SBOM lists, by its package URL (purl, https://github.com/package-url/purl-spec). */
export interface SbomPackage {
    /** The purl type: `pypi`, `deb`, … */
    type: string;
    name: string;
    version: string;
    /** Where the scanner found it (SPDX `sourceInfo`, e.g. the `.dist-info/METADATA` path); may be empty. */
    source: string;
}

/**
 * The packages of an SPDX document that carry a purl, e.g. `pkg:pypi/fastapi@0.115.0` →
 * `{type: "pypi", name: "fastapi", version: "0.115.0"}`; sorted by type, then name.
 */
export function sbomPackages(document: SpdxDocument): SbomPackage[] {
    const found = new Map<string, SbomPackage>();
    for (const pkg of document.packages ?? []) {
        for (const ref of pkg.externalRefs ?? []) {
            if (ref.referenceType !== "purl") continue;
            const match = /^pkg:([a-z0-9.+-]+)\/(?:[^@?#]*\/)?([^/@?#]+)@([^?#]+)/.exec(ref.referenceLocator);
            if (!match) continue;
            const item = { type: match[1], name: decodeURIComponent(match[2]), version: decodeURIComponent(match[3]), source: pkg.sourceInfo ?? "" };
            found.set(`${item.type}/${item.name}@${item.version}`, item);
        }
    }
    return [...found.values()].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}
