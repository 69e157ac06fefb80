import { describe, expect, test } from "bun:test";
import { parseManifest } from "./manifest.ts";
import { parsePythonLiteral } from "./python-literal.ts";
import { adaptVersion, compareVersions, seriesOf } from "../report/versions.ts";

const CRM = `# -*- coding: utf-8 -*-
# Part of Odoo. See LICENSE file for full copyright and licensing details.
{
    'name': 'CRM',
    'version': '1.8',
    'category': 'Sales/CRM',
    "summary": "Track leads " 'and close opportunities',
    'depends': [
        'base_setup', 'sales_team',  # trailing comment
        'mail',
    ],
    'data': ('a.xml', 'b.xml',),
    'description': """
Multi-line
text with 'quotes'
""",
    'installable': True,
    'application': True,
    'sequence': 15,
    'license': 'LGPL-3',
    'assets': {'web.assets_backend': [('remove', 'x.js'), r'crm\\static\\*']},
}
`;

describe("parseManifest", () => {
  test("reads a real-looking Odoo manifest without evaluating it", () => {
    const r = parseManifest(CRM);
    expect(r).toEqual({
      ok: true,
      manifest: {
        name: "CRM",
        version: "1.8",
        author: null,
        license: "LGPL-3",
        depends: ["base_setup", "sales_team", "mail"],
        installable: true,
      },
    });
  });

  test("a syntax error or code is reported with its line, not executed", () => {
    expect(parseManifest("{\n 'name': 'x',\n 'version': '1.0'\n 'depends': []}")).toEqual({
      ok: false,
      error: 'expected "," or "}" (line 4)',
    });
    const call = parseManifest("{'name': __import__('os').system('id')}");
    expect(call.ok).toBe(false);
    expect(!call.ok && call.error).toContain('"__import__" is not a literal');
    expect(parseManifest("{'name': 'x'").ok).toBe(false);
    expect(parseManifest("['not', 'a', 'dict']")).toEqual({ ok: false, error: "the manifest is not a dict" });
  });

  test("installable False is kept", () => {
    const r = parseManifest("{'name': 'old', 'installable': False, 'version': None}");
    expect(r.ok && r.manifest).toMatchObject({ installable: false, version: null });
  });
});

describe("versions", () => {
  test("a short manifest version gets the series, as Odoo does", () => {
    expect(adaptVersion("1.2", "17.0")).toBe("17.0.1.2");
    expect(adaptVersion("17.0.1.2", "17.0")).toBe("17.0.1.2");
    expect(adaptVersion("17.0", "17.0")).toBe("17.0.17.0");
    expect(adaptVersion(null, "17.0")).toBe("17.0.1.0");
    expect(seriesOf("17.0.1.3")).toBe("17.0");
  });

  test("compares part by part, numerically", () => {
    expect(compareVersions("17.0.1.10", "17.0.1.9")).toBe(1);
    expect(compareVersions("17.0.1.0", "17.0.1")).toBe(0);
    expect(compareVersions("17.0.0.4", "17.0.1.0")).toBe(-1);
  });
});

describe("Python set literals, as ast.literal_eval reads them (issue 15.7)", () => {
  test("a manifest with a set (crm_livechat style) is readable; sets read as lists", () => {
    const r = parseManifest(`{
    'name': 'CRM Livechat',
    'depends': {'crm', 'im_livechat'},  # a set, not a list
    'auto_install': {'crm', 'im_livechat',},
    'external_dependencies': {'python': set()},
    'nested': ({1, 2}, [{'a': {'b'}}]),
    'description': 'tab\\tquote\\'s ' "joined",
    'license': 'LGPL-3',
}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.depends).toEqual(["crm", "im_livechat"]);
    expect(r.manifest.name).toBe("CRM Livechat");
  });

  test("an empty {} stays a dict; a set where a dict is needed is still an error", () => {
    expect(parseManifest("{}").ok).toBe(true);
    expect(parseManifest("{'a', 'b'}")).toEqual({ ok: false, error: "the manifest is not a dict" });
    expect(parseManifest("{'a': 1, 'b'}").ok).toBe(false);
  });
});

/** Real Odoo manifests (odoo/odoo on GitHub), quoted as published; shortened only in long lists. */
const REAL: Record<string, string> = {
  crm_livechat: `# -*- coding: utf-8 -*-
# Part of Odoo. See LICENSE file for full copyright and licensing details.

{
    'name': 'CRM Livechat',
    'category': 'Sales/CRM',
    'summary': 'Create lead from livechat conversation',
    'data': [
        'data/utm_data.xml',
    ],
    'depends': [
        'crm',
        'im_livechat'
    ],
    'description': 'Create new lead with using /lead command in the channel',
    'auto_install': True,
    'license': 'LGPL-3',
    'assets': {
        'web.assets_backend': [
            'crm_livechat/static/src/models/*/*.js',
        ],
    },
}
`,
  l10n_in: `# Part of Odoo. See LICENSE file for full copyright and licensing details.
{
    'name': 'Indian - Accounting',
    'website': 'https://www.odoo.com/documentation/latest/applications/finance/fiscal_localizations/india.html',
    'icon': '/account/static/description/l10n.png',
    'countries': ['in'],
    'version': '2.1',
    'description': """
Indian Accounting: Chart of Account.
====================================

Note: The Schedule VI has been revised by MCA and is applicable for all Balance Sheet made after
31st March, 2011. The Format has done away with earlier two options of format of Balance
  """,
    'category': 'Accounting/Localizations/Account Charts',
    'depends': [
        'account_tax_python',
        'account_debit_note',
        'account',
        'iap',
    ],
    'auto_install': ['account'],
    'data': [
        'security/l10n_in_security.xml',
        "data/iap_service_data.xml",
        'data/account.account.tag.csv',
    ],
    'post_init_hook': 'post_init',
    'author': 'Odoo S.A.',
    'license': 'LGPL-3',
    'iap_paid_service': True,
}
`,
  point_of_sale: `# -*- coding: utf-8 -*-
# Part of Odoo. See LICENSE file for full copyright and licensing details.

{
    'name': 'Point of Sale',
    'version': '1.0.2',
    'category': 'Sales/Point of Sale',
    'sequence': 40,
    'depends': ['stock_account', 'barcodes', 'web_editor', 'digest', 'phone_validation'],
    'data': [
        'security/point_of_sale_security.xml',
        'views/pos_session_sales_details.xml'
    ],
    'installable': True,
    'application': True,
    'assets': {

        # In general, you DON'T NEED to declare new assets here, just put the
        # files in the proper directory.

        # web assets
        'web.assets_backend': [
            'point_of_sale/static/src/scss/pos_dashboard.scss',
        ],
        'point_of_sale.base_app': [
            ("include", "web._assets_helpers"),
            ("remove", "web/static/src/core/browser/router.js"),
            "web/static/src/scss/pre_variables.scss",
        ],
        'point_of_sale._assets_pos': [
            ('remove', 'web/static/src/core/errors/error_handlers.js'), # error handling in PoS is different from the webclient
            ('include', 'point_of_sale.base_app'),
        ],
    },
    'license': 'LGPL-3',
}
`,
};

describe("real Odoo manifests parse as ast.literal_eval reads them", () => {
  test("crm_livechat, l10n_in, point_of_sale", () => {
    const parsed = Object.fromEntries(Object.entries(REAL).map(([k, v]) => [k, parseManifest(v)]));
    for (const [name, r] of Object.entries(parsed)) expect([name, r.ok]).toEqual([name, true]);
    const m = (k: string) => (parsed[k] as { ok: true; manifest: any }).manifest;
    expect(m("crm_livechat").depends).toEqual(["crm", "im_livechat"]);
    expect((parsePythonLiteral(REAL.crm_livechat) as any).auto_install).toBe(true);
    expect(m("l10n_in").depends).toEqual(["account_tax_python", "account_debit_note", "account", "iap"]);
    expect(m("l10n_in").version).toBe("2.1");
    expect(m("point_of_sale").depends).toContain("phone_validation");
    const pos = parsePythonLiteral(REAL.point_of_sale) as any;
    expect(pos.assets["point_of_sale._assets_pos"][1]).toEqual(["include", "point_of_sale.base_app"]);
  });

  test("line continuations and implicit string concatenation across lines", () => {
    const r = parsePythonLiteral(
      "{\n    'name': 'Odd',\n    'summary': 'one ' \\\n        'two'\n        \" three\",\n    'depends': ('base',),\n}\n",
    );
    expect((r as any).summary).toBe("one two three");
    expect((r as any).depends).toEqual(["base"]);
  });
});
