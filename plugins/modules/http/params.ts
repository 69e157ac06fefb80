import { AppError, type AppContext } from "../../../server/sdk/index.ts";

/** The instance id of the URL (or of the query parameter `name`). */
export const instanceId = (c: AppContext, name = "instance"): number => {
  const id = Number(c.req.param(name) ?? c.req.query(name));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", `Invalid instance id`);
  return id;
};
