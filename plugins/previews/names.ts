/** Names users give (previews, templates) and the database and folder names made from them. */
import { AppError } from "../../server/sdk/index.ts";

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** Paths under /p/previews that are pages, not previews. */
const RESERVED = ["templates"];

export function checkName(name: string, what = "preview"): string {
  if (what === "preview" && RESERVED.includes(name))
    throw new AppError("E_VALIDATION", `"${name}" cannot be a preview name: a page has that path`, {
      hint: "Pick another name, e.g. pr-42 or feature-sale",
    });
  if (!NAME.test(name))
    throw new AppError("E_VALIDATION", `"${name}" cannot be a ${what} name`, {
      hint: "Lower-case letters, digits and dashes, up to 40, e.g. pr-42 or feature-sale",
    });
  return name;
}

/** A PR's preview: `<template>-pr<number>`, cut to fit. */
export function prPreviewName(template: string, number: number): string {
  return `${template.slice(0, 30)}-pr${number}`;
}

export const previewDb = (name: string) => `p_${name.replace(/-/g, "_")}`;
export const templateDb = (name: string) => `${name.replace(/-/g, "_")}_tpl`;

/** The managed runtime's name (its unit would be odoodeck-preview-<name>.service). */
export const managedName = (name: string) => `preview-${name}`;
