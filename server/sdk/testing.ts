/**
 * odoodeck/sdk/testing: what a plugin's own tests may use besides the SDK. Today the Odoo 17
 * fixtures (odoo.conf files, the acme databases and their filestores); a core started with the
 * plugin comes next. Not part of the binary: tests run from a checkout.
 * @example
 * import { FIXTURES } from "odoodeck/sdk/testing";
 * const conf = await Bun.file(FIXTURES.prodConf).text();
 */
export {
  extractFilestore,
  FIXTURES,
  FIXTURES_DIR,
  type FixtureDbName,
} from "../../tests/helpers/fixtures.ts";
