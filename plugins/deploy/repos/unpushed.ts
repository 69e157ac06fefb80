/**
 * Commits on the server that origin does not have: a deploy moves the branch to what was pushed,
 * so it would drop them. Someone committed on the server by hand; they must push or drop them first.
 */
import { AppError } from "../../../server/sdk/index.ts";
import type { Git } from "./git.ts";

/** `refs`: what the deploy moves (HEAD, and the local branch of the same name as the ref). */
export async function refuseUnpushed(g: Git, repoPath: string, ref: string): Promise<void> {
  const refs = ["HEAD"];
  if (await g.try(["rev-parse", "--verify", "-q", `refs/heads/${ref}`])) refs.push(`refs/heads/${ref}`);
  const out = await g.run(["log", "-n", "10", "--format=%h %s", ...refs, "--not", "--remotes=origin", "--"]);
  const commits = out.split("\n").filter(Boolean);
  if (!commits.length) return;
  throw new AppError(
    "E_CONFLICT",
    `${repoPath} has ${commits.length === 10 ? "10 or more" : commits.length} commit(s) not pushed to origin: ${commits.join("; ")}`,
    { hint: "Push them (or reset the branch to origin) on the server first; a deploy would drop them" },
  );
}
