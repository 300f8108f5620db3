/**
 * Where the repository is, for the program and the tools alike: one home, so a command that
 * only needs a path does not import the whole Pulumi program to learn it.
 */
import * as path from "node:path";

/** Repository root (absolute path): infra/ sits directly below it. */
export const ROOT_DIR = path.resolve(__dirname, "..");
