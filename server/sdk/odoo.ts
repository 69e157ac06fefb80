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
// Kept for SDK 1 plugins; the rules live in `masking` (one set for conf, parameters and logs).
export { isSecretKey, maskValue, maskOptions as maskSecrets, MASK } from "../masking.ts";
export { discoverOdooConfs, type ConfCandidate } from "../odoo/discovery.ts";
export {
  addonsRoots,
  findModuleFile,
  findOdooRoot,
  type AddonsRoot,
  type FileLookup,
  type LayoutInput,
} from "../odoo/addons-roots.ts";
export {
  resolveOdooExecutable,
  type OdooExecutable,
  type OdooExecutableInput,
  type OdooExecutableLookup,
} from "../odoo/odoo-executable.ts";
export { chownTree, serviceOwner, type FileOwner } from "../odoo/file-owner.ts";
export { addonsPathProblem, checkAddonsPaths, type AddonsPathProblem } from "../odoo/addons-paths.ts";
/** GET a page of an Odoo from its own server (a port bound to loopback there counts). */
