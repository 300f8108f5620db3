/**
 * `render --out DIR`: write one file per object and remove the files an earlier render wrote
 * for objects that are gone, and nothing else. What the render wrote is recorded in
 * `DIR/.ragstar-render.json` (per stack: file name → sha256 of the contents written). A re-render
 * of a stack removes only the files that manifest lists for that stack and that still hold what
 * was written; a listed file edited since is kept (and reported). The render header is not
 * proof of ownership: the render's stdout carries it too, and a user may save that into DIR.
 * A file the render would overwrite is refused, before anything is written, unless the manifest
 * lists it for the same stack with unchanged contents, or it already holds exactly the bytes
 * the render would write.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { writeFileAtomic } from "../fsAtomic";

/** The manifest's name in DIR. */
export const MANIFEST = ".ragstar-render.json";

const NOTE = "Written by `npm run --silent render -- --out`: the files each stack's render wrote here and their sha256; a re-render removes only these, and only while unchanged.";

/** Per stack: file name → sha256 (hex) of the contents the render wrote. */
export interface RenderManifest {
    note?: string;
    stacks: Record<string, Record<string, string>>;
}

/** A file in DIR that the render would overwrite but did not write; nothing was written. */
export class ForeignFileError extends Error {
    constructor(readonly file: string, why: string) {
        super(`${file}: ${why}; move it away or choose another --out directory`);
        this.name = "ForeignFileError";
    }
}

/** DIR's manifest is not what the render writes; nothing was written. */
export class ManifestError extends Error {
    constructor(readonly file: string, why: string) {
        super(`${file}: ${why}; expected the render's manifest ({"stacks": {STACK: {FILE: SHA256}}}), or remove it if DIR holds no render`);
        this.name = "ManifestError";
    }
}

export const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

/** What to do in DIR: files to write (name → text), stale files to remove, edited stale files kept, the new manifest. */
export interface OutDirPlan {
    write: Record<string, string>;
    remove: string[];
    kept: string[];
    manifest: RenderManifest;
}

/**
 * Plan the update of DIR for one stack's render. Pure.
 *
 * @param existing the files in DIR now that the plan may touch: name → contents (those the render
 *   writes and those the manifest lists)
 * @param manifest DIR's manifest, or an empty one
 * @param files the render's files: name → contents
 * @throws ForeignFileError (naming `dir/name`) when a file to write exists and is not the render's
 */
export function planOutDir(dir: string, stack: string, existing: Record<string, string>, manifest: RenderManifest, files: Record<string, string>): OutDirPlan {
    const mine = manifest.stacks[stack] ?? {};
    const ownerOf = (name: string) => Object.keys(manifest.stacks).find((s) => s !== stack && name in manifest.stacks[s]);
    for (const [name, text] of Object.entries(files)) {
        if (!(name in existing) || existing[name] === text) continue;
        const file = path.join(dir, name);
        if (name in mine) {
            if (sha256(existing[name]) !== mine[name]) throw new ForeignFileError(file, "edited since the render wrote it (its sha256 differs from .ragstar-render.json)");
            continue;
        }
        const owner = ownerOf(name);
        if (owner !== undefined) throw new ForeignFileError(file, `written by the render of stack ${owner}, not ${stack} (.ragstar-render.json)`);
        throw new ForeignFileError(file, "not written by render (not listed in .ragstar-render.json)");
    }
    const remove: string[] = [];
    const kept: string[] = [];
    for (const name of Object.keys(mine).filter((n) => !(n in files)).sort()) {
        if (!(name in existing)) continue;
        if (sha256(existing[name]) === mine[name]) remove.push(name);
        else kept.push(name);
    }
    const entries = Object.fromEntries(Object.keys(files).sort().map((name) => [name, sha256(files[name])]));
    const stacks = Object.fromEntries(Object.entries({ ...manifest.stacks, [stack]: entries }).sort(([a], [b]) => a.localeCompare(b)));
    return { write: files, remove, kept, manifest: { note: NOTE, stacks } };
}

/** DIR's manifest, or an empty one when there is none. @throws ManifestError */
function readManifest(dir: string): RenderManifest {
    const file = path.join(dir, MANIFEST);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return { stacks: {} };
        if ((error as NodeJS.ErrnoException).code === "EISDIR") throw new ManifestError(file, "is a directory");
        throw error;
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw new ManifestError(file, `not JSON (${(error as Error).message.split("\n")[0]})`);
    }
    const stacks = (value as RenderManifest | null)?.stacks;
    const valid =
        stacks !== null &&
        typeof stacks === "object" &&
        !Array.isArray(stacks) &&
        Object.values(stacks).every((m) => m !== null && typeof m === "object" && !Array.isArray(m) && Object.entries(m).every(([n, h]) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h) && path.basename(n) === n && n !== MANIFEST));
    if (!valid) throw new ManifestError(file, "not a render manifest");
    return { stacks };
}

/** The contents of `dir/name` if it is a file; undefined if absent. A directory in the way is refused. */
function readIfFile(dir: string, name: string): string | undefined {
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
        stat = fs.lstatSync(file);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
    }
    if (!stat.isFile()) throw new ForeignFileError(file, "is not a regular file");
    return fs.readFileSync(file, "utf8");
}

/**
 * Bring DIR in line with one stack's render: create it if needed, write each file atomically,
 * remove stale files, then write the manifest atomically.
 *
 * @returns the stale files kept because they were edited (paths)
 * @throws ForeignFileError, ManifestError (nothing written); NodeJS.ErrnoException from fs
 */
export function writeOutDir(dir: string, stack: string, files: Record<string, string>): { kept: string[] } {
    fs.mkdirSync(dir, { recursive: true });
    const manifest = readManifest(dir);
    const existing: Record<string, string> = {};
    for (const name of new Set([...Object.keys(files), ...Object.keys(manifest.stacks[stack] ?? {})])) {
        const text = readIfFile(dir, name);
        if (text !== undefined) existing[name] = text;
    }
    const plan = planOutDir(dir, stack, existing, manifest, files);
    for (const [name, text] of Object.entries(plan.write)) if (existing[name] !== text) writeFileAtomic(path.join(dir, name), text);
    for (const name of plan.remove) fs.rmSync(path.join(dir, name));
    writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify(plan.manifest, null, 2)}\n`);
    return { kept: plan.kept.map((name) => path.join(dir, name)) };
}
