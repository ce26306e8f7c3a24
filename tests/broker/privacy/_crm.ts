/** Host tools with personal data for the privacy tests. */

import { z } from "zod";
import { defineTool, type Providers } from "../../../mod.ts";

/** 200 customers, ids 1 to 200: `user7@example.com`, `+1 555 010 0007`. */
export function customers(count = 200): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    name: `Customer ${i + 1}`,
    email: `user${i + 1}@example.com`,
    phone: `+1 555 010 ${String(i + 1).padStart(4, "0")}`,
  }));
}

/** A CRM that lists customers and a mailer that records what it was sent. */
export function crmProviders(sent: unknown[]): Providers {
  return {
    crm: {
      list_customers: defineTool({
        description: "Lists customers",
        input: z.object({}),
        execute: () => customers(),
      }),
    },
    mail: {
      send: defineTool({
        description: "Sends a mail",
        input: z.object({ to: z.string(), body: z.string().optional() }),
        execute: (args, context) => {
          sent.push(args);
          context.log("info", `mailer accepted ${args.to}`);
          return { queued: true };
        },
      }),
    },
  };
}
