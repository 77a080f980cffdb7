/** The HTTP status of a failed @influxdata/influxdb-client request (its HttpError), if the error is one. */
export function clientHttpStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Fails with the fix when InfluxDB refuses the token (401/403); an InfluxDB not answering yet is not an error here. */
export async function refuseBadToken(describe: string, probe: () => Promise<unknown>): Promise<void> {
  try {
    await probe();
  } catch (err) {
    const status = clientHttpStatus(err);
    if (status !== 401 && status !== 403) return;
    throw new Error(
      `${describe} refuse le jeton / refuses the token (${status}): check TREBUCHET_INFLUX_TOKEN or influx.tokenFile, and that the token may read and write this ${describe.includes('2.x') ? 'bucket' : 'database'}`,
    );
  }
}
