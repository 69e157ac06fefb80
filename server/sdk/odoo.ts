/** What plugins may use to understand Odoo: conf parsing, derived settings, database access. */
export { parseOdooConf, parseConfBool, type ParsedConf, type ConfFinding } from "../odoo/conf.ts";
export { deriveInstanceSettings, type InstanceSettings } from "../odoo/instance-settings.ts";
export { ODOO17_DEFAULTS, isBooleanOption, type OdooOptionDefault } from "../odoo/conf-defaults.ts";
export {
  OdooDb,
  toolVersion,
  type DatabaseInfo,
  type OdooInfo,
  type Row,
  type SqlParam,
} from "../odoo/pg.ts";
export { isSecretKey, maskValue, maskSecrets, MASK } from "../odoo/secrets.ts";
export { discoverOdooConfs, type ConfCandidate } from "../odoo/discovery.ts";
export { addonsPathProblem, checkAddonsPaths, type AddonsPathProblem } from "../odoo/addons-paths.ts";
