/** The error `fn` throws, checked to be an instance of `type`; fails the test if it throws nothing or something else. */
export function thrown<E extends Error>(type: new (...args: any[]) => E, fn: () => unknown): E {
    try {
        fn();
    } catch (error) {
        if (error instanceof type) return error;
        throw error;
    }
    throw new Error(`expected ${type.name} to be thrown`);
}
