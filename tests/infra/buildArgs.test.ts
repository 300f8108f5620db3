import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { checkBuildArgs } from "../../infra/config/buildArgs";
import { declaredBuildArgs } from "../../infra/dockerfile/declaredArgs";
import { readStageFacts } from "../../infra/dockerfile/facts";
import { ConfigError, DockerfileError } from "../../infra/errors";
import { imageBuildArgs } from "../../infra/image";
import { renderStack } from "../../infra/tools/render/render";
import { devStackSetting, projectWith, REPO_ROOT } from "./projectFixture";

const PINNED = `mirror.example.com/library/python@sha256:${"c".repeat(64)}`;
const withBuildArgs = (buildArgs: Record<string, string>) =>
    devStackSetting({ "ragstar:image": { registry: "registry.example.com/platform", repository: "ragstar", platform: "linux/amd64", buildArgs } });

test("the ARGs the repository's Dockerfile declares: global ones and those of the stages the target needs", () => {
    expect(declaredBuildArgs(`${REPO_ROOT}/Dockerfile`, "runtime")).toEqual(["APP_UID", "PYTHON_IMAGE", "UV_VERSION"]);
    expect(declaredBuildArgs(`${REPO_ROOT}/Dockerfile`, "builder")).toEqual(["PYTHON_IMAGE", "UV_VERSION"]);
});

describe("stages are found as readStageFacts and BuildKit find them (names lower-cased; FROM exact, --target and COPY --from without regard to case)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-declared-args-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    let count = 0;
    const declared = (text: string, target: string, buildArgs: Record<string, string> = {}) => {
        const file = path.join(dir, `Dockerfile.${count++}`);
        fs.writeFileSync(file, text);
        return declaredBuildArgs(file, target, buildArgs);
    };
    /** Whether readStageFacts has the target inherit from stage `base` (which sets ENV MARK). */
    const inheritsBase = (text: string, target: string, buildArgs: Record<string, string> = {}) => readStageFacts(text, "test/Dockerfile", target, buildArgs).variables.has("MARK");

    test("AS Base is stage base: FROM base and --target APP find it", () => {
        const text = "FROM scratch AS Base\nARG X\nENV MARK=1\nFROM base AS App\nARG Y\n";
        expect(declared(text, "APP")).toEqual(["X", "Y"]);
        expect(inheritsBase(text, "APP")).toBe(true);
    });

    test("FROM BASE is not stage base", () => {
        const text = "FROM scratch AS base\nARG X\nENV MARK=1\nFROM BASE AS app\nARG Y\n";
        expect(declared(text, "app")).toEqual(["Y"]);
        expect(() => readStageFacts(text, "test/Dockerfile", "app")).toThrow(DockerfileError);
    });

    test("FROM base:latest is an image, not stage base", () => {
        const text = "FROM scratch AS base\nARG X\nENV MARK=1\nFROM base:latest AS app\nARG Y\n";
        expect(declared(text, "app")).toEqual(["Y"]);
        expect(inheritsBase(text, "app")).toBe(false);
    });

    test("FROM names an earlier stage only", () => {
        const text = "FROM base AS app\nARG Y\nFROM scratch AS base\nARG X\nENV MARK=1\n";
        expect(declared(text, "app")).toEqual(["Y"]);
        expect(inheritsBase(text, "app")).toBe(false);
    });

    test("FROM is expanded with the global ARGs, a build arg replacing the default", () => {
        const text = "ARG B=base\nFROM scratch AS base\nARG X\nENV MARK=1\nFROM ${B} AS app\nARG Y\n";
        expect(declared(text, "app")).toEqual(["B", "X", "Y"]);
        expect(inheritsBase(text, "app")).toBe(true);
        expect(declared(text, "app", { B: "python:3.12-slim" })).toEqual(["B", "Y"]);
        expect(inheritsBase(text, "app", { B: "python:3.12-slim" })).toBe(false);
    });

    test("COPY --from=BASE needs stage base", () => {
        expect(declared("FROM scratch AS base\nARG X\nFROM scratch AS app\nARG Y\nCOPY --from=BASE /a /a\n", "app")).toEqual(["X", "Y"]);
    });
});

test("a building stack can point the base image at a mirror pinned by digest; APP_UID still comes from runAsUser", async () => {
    const render = await renderStack("dev", projectWith("dev", withBuildArgs({ PYTHON_IMAGE: PINNED })));
    expect(render.imageSource).toBe("built");
    expect(imageBuildArgs({ runAsUser: 1000, image: { buildArgs: { PYTHON_IMAGE: PINNED } } })).toEqual({ PYTHON_IMAGE: PINNED, APP_UID: "1000" });
});

test.each([
    [{ NOPE: "x" }, 'ragstar:image.buildArgs.NOPE: "x": Dockerfile, target "runtime" declares no ARG NOPE; declared: PYTHON_IMAGE, UV_VERSION'],
    [{ APP_UID: "0" }, 'ragstar:image.buildArgs.APP_UID: "0": APP_UID is set from ragstar:runAsUser, not here'],
])("image.buildArgs %j is refused with key, value and the declared ARGs", async (buildArgs, message) => {
    const error = await renderStack("dev", projectWith("dev", withBuildArgs(buildArgs))).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([message]);
});

test("a PYTHON_IMAGE that is not pinned by digest is allowed, with a warning", () => {
    expect(checkBuildArgs({ PYTHON_IMAGE: "python:3.12.8-slim" }, ["PYTHON_IMAGE"], "Dockerfile")).toEqual({
        problems: [],
        warnings: ['ragstar:image.buildArgs.PYTHON_IMAGE: "python:3.12.8-slim" is not pinned by digest; a tag can move, so the same commit may build on another base (use REF@sha256:<64 hex>)'],
    });
    expect(checkBuildArgs({ PYTHON_IMAGE: PINNED }, ["PYTHON_IMAGE"], "Dockerfile")).toEqual({ problems: [], warnings: [] });
});
