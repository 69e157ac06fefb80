import { describe, expect, test } from "bun:test";
import { parseManifest } from "./manifest.ts";
import { adaptVersion, compareVersions, seriesOf } from "./versions.ts";

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
