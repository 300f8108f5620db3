/**
 * The toleration rules of the API server (pkg/apis/core/validation ValidateTolerations), applied
 * to one toleration at a time: what passes, and each rule that fails with its field and message.
 */
import { tolerationProblems, type UncheckedToleration } from "../../infra/config/tolerations";

const EXISTS_WITH_VALUE = "must be empty when operator is Exists (it matches every value of the key); remove it, or set operator: Equal";
const EMPTY_KEY = "must be Exists when key is empty (an empty key with Exists matches every taint); set a key, or operator: Exists";
const SECONDS_WITHOUT_NO_EXECUTE = "is only allowed with effect NoExecute (the effect here is {effect}); remove it, or set effect: NoExecute";

describe("tolerationProblems", () => {
    test.each<[string, UncheckedToleration]>([
        ["kwok's taint, any value", { key: "kwok.x-k8s.io/node", operator: "Exists", effect: "NoSchedule" }],
        ["a key and value with Equal", { key: "dedicated", operator: "Equal", value: "ragstar", effect: "NoSchedule" }],
        ["an absent operator (Equal) with a value", { key: "dedicated", value: "ragstar" }],
        ["Equal with an empty value", { key: "dedicated", operator: "Equal" }],
        ["Exists with an empty value", { key: "dedicated", operator: "Exists", value: "" }],
        ["an empty key with Exists: every taint", { operator: "Exists" }],
        ["an explicitly empty key with Exists", { key: "", operator: "Exists" }],
        ["tolerationSeconds with NoExecute", { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
        ["zero or negative tolerationSeconds (evict at once)", { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: -1 }],
        ["a 63-character value and a prefixed key", { key: "example.com/tier", value: "a".repeat(63), effect: "PreferNoSchedule" }],
    ])("accepts %s", (_, toleration) => {
        expect(tolerationProblems(toleration)).toEqual([]);
    });

    test.each<[string, UncheckedToleration, { field: string; message: string }[]]>([
        ["a value with Exists", { key: "kwok.x-k8s.io/node", operator: "Exists", value: "fake" }, [{ field: "value", message: EXISTS_WITH_VALUE }]],
        ["an empty key without an operator (Equal)", { effect: "NoSchedule" }, [{ field: "operator", message: EMPTY_KEY }]],
        ["an empty key with Equal", { key: "", operator: "Equal", value: "x" }, [{ field: "operator", message: EMPTY_KEY }]],
        ["tolerationSeconds with NoSchedule", { key: "k", effect: "NoSchedule", tolerationSeconds: 60 }, [{ field: "tolerationSeconds", message: SECONDS_WITHOUT_NO_EXECUTE }]],
        ["tolerationSeconds without an effect", { key: "k", operator: "Exists", tolerationSeconds: 60 }, [{ field: "tolerationSeconds", message: SECONDS_WITHOUT_NO_EXECUTE }]],
        ["a key that is no qualified name", { key: "dedicated node", operator: "Exists" }, [{ field: "key", message: expect.stringMatching(/^must be a label key \[prefix\/\]name: the name part/) }]],
        ["a key with two slashes", { key: "a/b/c", operator: "Exists" }, [{ field: "key", message: "must be a label key [prefix/]name with at most one '/'" }]],
        ["a value that is no label value (Equal)", { key: "k", value: "-ragstar" }, [{ field: "value", message: expect.stringMatching(/^must be a label value: /) }]],
        ["a value over 63 characters", { key: "k", operator: "Equal", value: "v".repeat(64) }, [{ field: "value", message: "must be a label value of at most 63 characters, got 64" }]],
        [
            "every rule at once",
            { operator: "Exists", value: "x", effect: "PreferNoSchedule", tolerationSeconds: 5 },
            [{ field: "tolerationSeconds", message: SECONDS_WITHOUT_NO_EXECUTE }, { field: "value", message: EXISTS_WITH_VALUE }],
        ],
    ])("refuses %s", (_, toleration, problems) => {
        expect(tolerationProblems(toleration)).toEqual(problems);
    });

    test("leaves fields of the wrong type to the schema, and checks the rest", () => {
        // An unknown operator: the schema reports it; the value is not judged by Equal's or Exists' rule (nor by the API server).
        expect(tolerationProblems({ key: "k", operator: "In", value: "-x" })).toEqual([]);
        // A key that is no string: the schema's type error; the empty-key rule does not apply.
        expect(tolerationProblems({ key: 3, value: "v" })).toEqual([]);
        // A bad effect is the schema's; tolerationSeconds is still refused beside it, as the API server does.
        expect(tolerationProblems({ key: "a b", effect: "Never", tolerationSeconds: 1 }).map((p) => p.field)).toEqual(["key", "tolerationSeconds"]);
    });
});
