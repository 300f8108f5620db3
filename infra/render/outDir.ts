/**
 * `render --out DIR`: write one file per object and remove the files an earlier render wrote
 * for objects that are gone, and nothing else. A file counts as the render's own only when it
 * starts with the render header (`renderHeader` in render.ts); every other file in DIR, YAML or
 * not, is left alone, and a render that would overwrite one is refused before anything is written.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { writeFileAtomic } from "../fsAtomic";
import { isRenderOutput } from "./render";

/** A file in DIR that the render would overwrite but did not write; nothing was written. */
export class ForeignFileError extends Error {
    constructor(readonly file: string) {
        super(`${file}: not written by render (no render header); move it away or choose another --out directory`);
        this.name = "ForeignFileError";
    }
}

/** What to do in DIR: files to write (name → text) and stale render files to remove (names). */
export interface OutDirPlan {
    write: Record<string, string>;
    remove: string[];
}

/**
 * Plan the update of DIR. Pure.
 *
 * @param existing the YAML files in DIR now: name → contents
 * @param files the render's files: name → contents
 * @throws ForeignFileError (naming `dir/name`) when a file to write exists without the render header
 */
export function planOutDir(dir: string, existing: Record<string, string>, files: Record<string, string>): OutDirPlan {
    for (const name of Object.keys(files)) {
        if (name in existing && !isRenderOutput(existing[name])) throw new ForeignFileError(path.join(dir, name));
    }
    const remove = Object.keys(existing).filter((name) => !(name in files) && isRenderOutput(existing[name])).sort();
    return { write: files, remove };
}

/**
 * Bring DIR in line with a render: create it if needed, write each file atomically, then
 * remove stale render files.
 *
 * @throws ForeignFileError (see planOutDir); NodeJS.ErrnoException from fs
 */
export function writeOutDir(dir: string, files: Record<string, string>): void {
    fs.mkdirSync(dir, { recursive: true });
    const existing: Record<string, string> = {};
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.isFile() && entry.name.endsWith(".yaml")) existing[entry.name] = fs.readFileSync(path.join(dir, entry.name), "utf8");
    }
    const plan = planOutDir(dir, existing, files);
    for (const [name, text] of Object.entries(plan.write)) writeFileAtomic(path.join(dir, name), text);
    for (const name of plan.remove) fs.rmSync(path.join(dir, name));
}
