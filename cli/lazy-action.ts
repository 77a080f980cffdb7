type Body = (...args: never[]) => unknown;
/** The names of `M`'s exported functions. */
type BodyNames<M> = { [K in keyof M]: M[K] extends Body ? K : never }[keyof M];

/**
 * A command's body, imported when the command runs. Commander needs every command defined to parse one,
 * and defining them must not load their code: the agent on a Pi would carry the broker's enrolment, the
 * InfluxDB clients and the dashboards' user files (measured by `npm run bench -- agent-resources`).
 */
export function lazyAction<M, N extends BodyNames<M>>(load: () => Promise<M>, name: N) {
  return async (...args: M[N] extends Body ? Parameters<M[N]> : never): Promise<void> => {
    await ((await load())[name] as Body)(...(args as never[]));
  };
}
