/**
 * `ragstar:image.buildArgs`: build arguments for the image build (e.g. `PYTHON_IMAGE`, to build on
 * a mirror or a digest-pinned base). Only ARGs the Dockerfile declares for the target are
 * accepted (`declaredBuildArgs`); `APP_UID` is refused, since it always comes from
 * `ragstar:runAsUser` so the image's USER and the pod's runAsUser agree.
 */
import { endsWithDigest } from "../imageReference";
import { CONFIG_NAMESPACE } from "./stackConfig";

/** Build arguments the package sets itself, with the key that sets them. */
export const RESERVED_BUILD_ARGS: Record<string, string> = { APP_UID: `${CONFIG_NAMESPACE}:runAsUser` };

/**
 * @param buildArgs the stack's `image.buildArgs`
 * @param declared ARG names the Dockerfile declares for the target (global and in its stage chain)
 * @param where e.g. `Dockerfile, target "runtime"`, named in the messages
 * @returns problems (one line each: key, value, what is allowed) and warnings
 */
export function checkBuildArgs(buildArgs: Record<string, string>, declared: string[], where: string): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const [name, value] of Object.entries(buildArgs)) {
        const key = `${CONFIG_NAMESPACE}:image.buildArgs.${name}`;
        if (RESERVED_BUILD_ARGS[name] !== undefined) {
            problems.push(`${key}: ${JSON.stringify(value)}: ${name} is set from ${RESERVED_BUILD_ARGS[name]}, not here`);
        } else if (!declared.includes(name)) {
            problems.push(`${key}: ${JSON.stringify(value)}: ${where} declares no ARG ${name}; declared: ${declared.filter((d) => RESERVED_BUILD_ARGS[d] === undefined).join(", ") || "(none)"}`);
        }
    }
    const base = buildArgs.PYTHON_IMAGE;
    if (base !== undefined && !endsWithDigest(base)) {
        warnings.push(`${CONFIG_NAMESPACE}:image.buildArgs.PYTHON_IMAGE: ${JSON.stringify(base)} is not pinned by digest; a tag can move, so the same commit may build on another base (use REF@sha256:<64 hex>)`);
    }
    return { problems, warnings };
}
