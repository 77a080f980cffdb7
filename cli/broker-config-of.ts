import { brokerConfigSchema, type BrokerConfig } from '../broker/config.js';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { upBrokerConfig, upConfigSchema } from './up-config.js';

/** The broker config of the server this runs on: a broker's or an up's file, or up's defaults. */
export function brokerConfigOf(file: string | undefined): BrokerConfig {
  if (!file) return upBrokerConfig(upConfigSchema.parse({}));
  let asBroker: ConfigError;
  try {
    return loadConfig(brokerConfigSchema, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    asBroker = err;
  }
  try {
    return upBrokerConfig(loadConfig(upConfigSchema, file));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const closer = err.problems.length < asBroker.problems.length ? err : asBroker;
    throw new ConfigError(file, ['neither a broker nor an up configuration', ...closer.problems]);
  }
}

