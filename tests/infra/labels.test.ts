/** The recommended labels: the selector subset apart from the rest, and the Namespace's Pod Security labels. */
import { commonLabels, podSecurityLabels, selectorLabels } from "../../infra/k8s/labels";

test("selector labels are name and instance only, so a version change never touches a selector", () => {
    expect(selectorLabels("prod")).toEqual({ "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": "prod" });
});

test("common labels are the selector labels and the mutable recommended ones", () => {
    expect(commonLabels("prod", "1.2.3")).toEqual({
        ...selectorLabels("prod"),
        "app.kubernetes.io/version": "1.2.3",
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "ragstar",
        "app.kubernetes.io/managed-by": "pulumi",
    });
});

test("the Namespace enforces, audits and warns on 'restricted'", () => {
    expect(podSecurityLabels()).toEqual({
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    });
});
