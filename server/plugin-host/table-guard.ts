import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from "kysely";
import { AppError } from "../errors.ts";

class Guard extends OperationNodeTransformer {
  constructor(private readonly prefix: string) {
    super();
  }
  protected override transformTable(node: TableNode): TableNode {
    const name = node.table.identifier.name;
    if (!name.startsWith(this.prefix))
      throw new AppError(
        "E_FORBIDDEN",
        `A plugin may only use its own tables (${this.prefix}*), not "${name}"`,
        {
          hint: "Go through the SDK (ctx.instances, ctx.audit, …) for core data",
        },
      );
    return super.transformTable(node);
  }
}

/**
 * Scopes a plugin's Kysely to tables named `<id>_…`. It checks the query tree Kysely builds, so
 * joins and subqueries are covered; `sql` raw fragments are the plugin's own responsibility.
 */
export class TableGuardPlugin implements KyselyPlugin {
  readonly #guard: Guard;
  constructor(pluginId: string) {
    this.#guard = new Guard(`${pluginId.replace(/-/g, "_")}_`);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#guard.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
