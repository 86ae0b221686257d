/** OpenAPI for the dashboard's session routes and the credit lots it shows. */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { API_BASE, documentRoute } from "../openapi-kit";
import { userView } from "../response-schemas";
import { signInBody } from "../routes/session";

const csrfHeader = z.object({
  "X-Holdfast-CSRF": z.string().meta({ description: "Required with every session call, and with every /api/v1 call authenticated by the session cookie (any value, e.g. `1`)." }),
});

const lotView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    credit_type: z.string(),
    category: z.enum(["subscription", "purchase", "promotional", "admin"]).or(z.string()),
    amount: z.number().int().meta({ description: "Credits granted." }),
    remaining: z.number().int().meta({ description: "Credits left (> 0)." }),
    expires_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: "CreditLot" });
const lotsPage = z.object({ data: z.array(lotView), next_cursor: z.null() }).meta({ id: "CreditLotPage" });
const sessionView = z.object({ user: userView, expires_at: z.iso.datetime().optional() }).meta({ id: "DashboardSession" });

export function dashboardDocs(registry: OpenAPIRegistry): void {
  const TAG = "Dashboard session";
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/session`, tags: [TAG], auth: "none", credits: 0,
    summary: "Sign in to the dashboard",
    description:
      "Exchanges an API key, or a single-use sign-in token (the link `npm start` prints), for a session cookie " +
      "`holdfast_session` (HttpOnly, SameSite=Strict, 12 hours; stored hashed). The session acts as that key. " +
      "Without the `X-Holdfast-CSRF` header: 403.",
    headers: csrfHeader,
    body: signInBody,
    response: { status: 201, description: "Signed in; the cookie is set.", schema: sessionView },
    errors: ["invalid_request", "unauthenticated", "forbidden"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/session`, tags: [TAG], auth: "key", credits: 0,
    summary: "Who the session is", headers: csrfHeader,
    response: { status: 200, description: "The signed-in user.", schema: sessionView },
    errors: ["forbidden"],
  });
  documentRoute(registry, {
    method: "delete", path: `${API_BASE}/session`, tags: [TAG], auth: "none", credits: 0,
    summary: "Sign out", description: "Deletes the session and clears the cookie.", headers: csrfHeader,
    response: { status: 204, description: "Signed out." },
    errors: ["forbidden"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/lots`, tags: ["Credits"], auth: "key", credits: 0,
    summary: "Your credit lots",
    description: "Every grant with credits left, soonest expiry first: how much remains and when it expires (`null` = never).",
    response: { status: 200, description: "The lots.", schema: lotsPage },
    errors: [],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id/lots`, tags: ["Admin"], auth: "admin", credits: 0,
    summary: "A user's credit lots",
    response: { status: 200, description: "The lots.", schema: lotsPage },
    errors: ["not_found"],
  });
}
