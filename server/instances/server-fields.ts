import { z } from "zod";

/**
 * The fields a server takes, declared once for servers.add, servers.edit and the server form, so
 * the page, REST, the CLI and MCP accept the same thing. Shapes and lengths are checked by
 * createServer/updateServer (servers.ts), whose messages name the fix.
 */
export const serverFields = z.object({
  name: z.string(),
  kind: z.enum(["local", "ssh"]).optional().describe("Default ssh when adding"),
  host: z.string().optional(),
  port: z.union([z.number().int(), z.string()]).optional(),
  username: z.string().optional(),
  privateKey: z
    .string()
    .optional()
    .describe("PEM private key (stored encrypted); blank keeps the stored one"),
  passphrase: z.string().optional(),
  password: z.string().optional().describe("SSH password (stored encrypted); blank keeps the stored one"),
  jumpServerId: z
    .union([z.number().int(), z.string()])
    .nullable()
    .optional()
    .describe("The SSH server to jump through; null or blank: reached directly"),
  group: z.string().optional(),
});

/** What adding or changing a server may send; a field left out keeps its stored value when editing. */
export type ServerInput = Partial<z.infer<typeof serverFields>>;

/**
 * The server form's body as the operations take it: exactly the declared fields, as posted (a
 * field the form did not send stays out). Values are checked by the operation, as for REST.
 */
export function serverFormInput(form: Record<string, unknown>): ServerInput {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(serverFields.shape))
    if (typeof form[key] === "string") input[key] = form[key];
  return input as ServerInput;
}
