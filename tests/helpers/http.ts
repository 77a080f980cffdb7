/**
 * A JSON client of one of our HTTP APIs: `call(method, path, body?)` sends the body as JSON and gives the
 * status with the parsed answer. The base URL is read at each call: a test may restart the server.
 */
export function jsonApi(baseUrl: () => string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
}
