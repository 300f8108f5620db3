/**
 * Replace a file's contents so that no reader ever sees a half-written or empty file: write a
 * temporary file in the same directory (same filesystem, so the rename is atomic), fsync it,
 * give it the old file's mode, and rename it over the target (POSIX rename(2)). With `expected`,
 * the compare and the rename happen under an exclusive lock file next to the target
 * (`<file>.lock`, created with O_EXCL and removed afterwards), so two writers cannot both pass
 * the compare and the second rename lose the first one's update.
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

/** Another writer holds `<file>.lock` (or one that died left it); nothing was written. */
export class FileLockedError extends Error {
    constructor(readonly lock: string, ageSeconds: number, stale: boolean) {
        super(
            stale
                ? `${lock} is locked since ${ageSeconds} s ago (older than ${LOCK_STALE_SECONDS} s: a writer that died?); nothing was written; remove the lock file if no promotion is running, then run again`
                : `${lock} is locked by another promotion (since ${ageSeconds} s ago); nothing was written; run it again when that one has finished`,
        );
        this.name = "FileLockedError";
    }
}

/** A lock older than this is reported as stale (never broken silently). */
export const LOCK_STALE_SECONDS = 60;
/** How long a writer waits for another's lock before refusing. */
const LOCK_WAIT_MS = 5_000;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Take `<file>.lock` exclusively, waiting up to LOCK_WAIT_MS for a live holder.
 *
 * @returns the lock's path, to remove when done
 * @throws FileLockedError when it stays held, at once when it is older than LOCK_STALE_SECONDS
 */
function lock(file: string): string {
    const lockPath = `${file}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
        try {
            fs.closeSync(fs.openSync(lockPath, "wx", 0o600));
            return lockPath;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        let age: number;
        try {
            age = Math.floor((Date.now() - fs.statSync(lockPath).mtimeMs) / 1000);
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // released meanwhile
            throw error;
        }
        if (age > LOCK_STALE_SECONDS) throw new FileLockedError(lockPath, age, true);
        if (Date.now() >= deadline) throw new FileLockedError(lockPath, Math.max(age, 0), false);
        sleep(5 + Math.floor(Math.random() * 20));
    }
}

const sha256 = (text: string | Buffer) => crypto.createHash("sha256").update(text).digest("hex");

/**
 * Write `text` to `file` atomically.
 *
 * @param expected the contents the caller read and edited: when given, the write is refused if
 *   the file holds anything else just before the rename (a concurrent writer would otherwise be
 *   overwritten and its update lost)
 * @throws FileChangedError when `expected` no longer matches; FileLockedError when another
 *   writer holds the lock (see lock); NodeJS.ErrnoException from fs
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
        if (expected === undefined) {
            fs.renameSync(temp, file);
        } else {
            const held = lock(file);
            try {
                if (sha256(fs.readFileSync(file)) !== sha256(expected)) throw new FileChangedError(file);
                fs.renameSync(temp, file);
            } finally {
                fs.rmSync(held, { force: true });
            }
        }
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
