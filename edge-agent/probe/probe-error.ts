/** A probe that cannot run or got no answer: the command prints its message alone, without a stack trace. */
export class ProbeError extends Error {}
