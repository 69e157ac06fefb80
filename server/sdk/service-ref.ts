import type { ServiceRef } from "./types.ts";

/**
 * A typed reference to a service by id. The provider declares it in its contract.ts; a consumer
 * that only imports the provider's interface type builds the same ref from the same id.
 * @example
 * export const backupService = defineService<BackupService>("backup");
 * ctx.services.provide(backupService, impl);          // provider: impl must be a BackupService
 * const b = ctx.services.get(backupService);          // consumer: BackupService | null
 */
export function defineService<T>(id: string): ServiceRef<T> {
  return Object.freeze({ id }) as ServiceRef<T>;
}
