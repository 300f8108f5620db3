/**
 * Read a `Pulumi.<stack>.yaml` into the flat key → string map the engine would pass to
 * the program, without decrypting anything: every `secure:` value becomes the marker
 * `[secret]` and its key is listed as secret, so secrets never appear in a render.
 */
import * as fs from "node:fs";

import { ConfigError } from "../../errors";
import { mappingProblem } from "../promotion/stackFileImage";
import { parseYaml } from "../../yamlText";

/** The marker that stands for every secret value in rendered output. */
export const SECRET_MARKER = "[secret]";

/** Config as the engine passes it to a program: values are strings, objects as JSON. */
export interface StackFileConfig {
    config: Record<string, string>;
    secretKeys: string[];
}

function isSecure(value: unknown): boolean {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

function containsSecure(value: unknown): boolean {
    if (isSecure(value)) return true;
    if (value !== null && typeof value === "object") return Object.values(value).some(containsSecure);
    return false;
}

/**
 * Parse a stack file.
 *
 * @param file path of `Pulumi.<stack>.yaml`
 * @param project project name, the namespace for keys written without one
 * @throws ConfigError naming the file and line on YAML errors (undefined aliases and alias bombs included), or the key for secrets nested in objects
 */
export function readStackFile(file: string, project: string): StackFileConfig {
    const parsed = parseYaml(fs.readFileSync(file, "utf8"));
    if ("problems" in parsed) throw new ConfigError(file, parsed.problems);
    const notMapping = mappingProblem(parsed.value);
    if (notMapping) throw new ConfigError(file, [`line 1: ${notMapping}`]);
    const root = (parsed.value ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [rawKey, value] of Object.entries(root.config ?? {})) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (isSecure(value)) {
            config[key] = SECRET_MARKER;
            secretKeys.push(key);
        } else if (containsSecure(value)) {
            throw new ConfigError(file, [`${key}: secrets inside structured values are not supported; use a top-level secret key`]);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys };
}
