/**
 * Replace a file's contents so that no reader ever sees a half-written or empty file: write a
 * temporary file in the same directory (same filesystem, so the rename is atomic), fsync it,
 * give it the old file's mode, and rename it over the target (POSIX rename(2)).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The file changed between the caller's read and the replace; nothing was written. */
export class FileChangedError extends Error {
    constructor(readonly file: string) {
        super(`${file} changed while this command ran (another promotion or an editor?); nothing was written, run it again`);
        this.name = "FileChangedError";
    }
}

const sha256 = (text: string | Buffer) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * Write `text` to `file` atomically.
 *
 * @param expected the contents the caller read and edited: when given, the write is refused if
 *   the file holds anything else just before the rename (a concurrent writer would otherwise be
 *   overwritten and its update lost)
 * @throws FileChangedError when `expected` no longer matches; NodeJS.ErrnoException from fs
 *   (e.g. EACCES when the directory is not writable). The temporary file never survives a failure.
 */
export function writeFileAtomic(file: string, text: string, expected?: string): void {
    const dir = path.dirname(file);
    const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    let mode: number | undefined;
    try {
        mode = fs.statSync(file).mode & 0o7777;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    try {
        const fd = fs.openSync(temp, "wx", mode ?? 0o644);
        try {
            fs.writeFileSync(fd, text);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        if (mode !== undefined) fs.chmodSync(temp, mode); // the umask may have narrowed it
        if (expected !== undefined && sha256(fs.readFileSync(file)) !== sha256(expected)) throw new FileChangedError(file);
        fs.renameSync(temp, file);
    } catch (error) {
        fs.rmSync(temp, { force: true });
        throw error;
    }
    // Make the rename itself durable; some filesystems cannot fsync a directory, which is harmless.
    try {
        const dirFd = fs.openSync(dir, "r");
        try {
            fs.fsyncSync(dirFd);
        } finally {
            fs.closeSync(dirFd);
        }
    } catch {
        /* best effort */
    }
}
