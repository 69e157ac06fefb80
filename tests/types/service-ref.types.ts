/**
 * Type-level test (checked by `tsc --noEmit -p .`, which CI runs): a service ref carries its type
 * from provider to consumer. Each @ts-expect-error line must be an error, or tsc fails.
 */
import { defineService, type ServicesApi } from "../../server/sdk/index.ts";

interface Greeter {
  greet(name: string): string;
}
const greeter = defineService<Greeter>("greeter");
declare const services: ServicesApi;

services.provide(greeter, { greet: (n) => `hi ${n}` });
// @ts-expect-error the implementation must match the ref's interface
services.provide(greeter, { greet: (n: string) => n.length });
// @ts-expect-error a ref's implementation cannot miss a member
services.provide(greeter, {});

const got = services.get(greeter);
const text: string | undefined = got?.greet("ann");
// @ts-expect-error get() returns Greeter | null, never a bare Greeter
got.greet("ann");
// @ts-expect-error greet returns a string
const n: number | undefined = got?.greet("ann");
void text;
void n;
